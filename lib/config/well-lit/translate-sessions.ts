/**
 * inference-perf workloads that run multi-turn sessions or replay a trace → scenario data and load
 * (the native keys: `conversations`, `shared_prefix` with `enable_multi_turn_chat`, `trace` data,
 * `trace` load). Upstream's meaning (kubernetes-sigs/inference-perf, commit 7de5ef2e):
 *
 * | inference-perf | scenario |
 * | --- | --- |
 * | `data.shared_prefix.enable_multi_turn_chat: true` (`datagen/synthetic/shared_prefix_datagen.py`) | `shared_prefix` with `enable_multi_turn_chat: true` and `rounds: ceil(requests / users)`; a stage's requests become sessions of that many rounds (`userRounds`) |
 * | `data.type: conversation_replay` (`datagen/replay/conversation_replay_datagen.py`) | `conversations` with upstream's defaults written out (200 blueprints, 8359-token shared prompt, 10 turns of 512 tokens, 256 max_tokens, seed 42); `tool_call_latency_sec` is the think time. Upstream counts turns as requests; a session load counts sessions, so a stage's requests become sessions of the mean turn count (`sessionStages`) |
 * | `load.type: trace_replay` + `load.trace` + `data.trace` (`loadgen/load_timer.py` TraceReplayLoadTimer, `datagen/synthetic/random_datagen.py`) | `trace` data (`format: azure`) and a `trace` load at speed-up 1: the trace's times and lengths |
 * | `data.type: otel_trace_replay\|weka_trace_replay` + `load.type: trace_session_replay` (`datagen/replay/*_trace_replay_datagen.py`) | `trace` data (`format: otel\|weka`, the trace files, the other options as `otel:`/`weka:`) and a `trace` load |
 * | `api.session_id_header_key` | the data's `session_header` |
 */
import { readdirSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import type { IpDistribution, Note } from './ip-distribution.ts';
import { OTelTraceReplaySchema, WekaTraceReplaySchema } from '../../data/conversations/schema.ts';
import { nativeDistribution } from './ip-distribution.ts';
import type { IssueList } from './issues.ts';
import type { IpWorkload } from './workload-schema.ts';

/** What a workload runs, when it is not single requests: users' rounds, conversations, a request trace or session traces. */
export type SessionKind = 'multi_turn' | 'conversations' | 'trace' | 'session_trace';

/** Where a workload sits and how problems and notes are recorded. */
export interface SessionContext {
  /** The workload's path in the file. */
  at: PropertyKey[];
  issues: IssueList;
  note: Note;
  /** Directory relative trace paths resolve against (where vitest runs). */
  cwd: string;
}

type Data = IpWorkload['data'];
type Stage = IpWorkload['load']['stages'][number];

/** Which kind of session or trace workload `w` is, if any. */
export function sessionKind(w: Partial<IpWorkload>): SessionKind | undefined {
  const d = w.data;
  if (d?.type === 'otel_trace_replay' || d?.type === 'weka_trace_replay' || w.load?.type === 'trace_session_replay') return 'session_trace';
  if (d?.trace || w.load?.type === 'trace_replay') return 'trace';
  if (d?.type === 'conversation_replay') return 'conversations';
  if (d?.type === 'shared_prefix' && d.shared_prefix?.enable_multi_turn_chat) return 'multi_turn';
  return undefined;
}

/** inference-perf's `conversation_replay` defaults (`config/datagen/replay.py`, `conversation_replay_datagen.py`). */
const CONVERSATION = { seed: 42, conversations: 200, system: 8359, turns: 10, turnTokens: 512, maxTokens: 256 } as const;

/** The blocks of `data` each data type reads; any other one given is a mistake. */
const BLOCKS = ['path', 'input_distribution', 'output_distribution', 'shared_prefix', 'trace', 'conversation_replay', 'otel_trace_replay', 'weka_trace_replay'] as const;

/** Records every block of `d` that `allowed` does not name; true when there was one. */
function misplaced(d: Data, allowed: readonly string[], c: SessionContext): boolean {
  const extra = BLOCKS.filter((key) => d[key] !== undefined && !allowed.includes(key));
  for (const key of extra) c.issues.add([...c.at, 'data', key], `not used by ${d.type} data${d.trace ? ' with a trace' : ''}: remove it`);
  return extra.length > 0;
}

/**
 * The scenario data of a `conversations`, `trace` or `session_trace` workload, or undefined (with
 * issues recorded). `multi_turn` data is `shared_prefix`'s, with `sessionKeys` added.
 */
export function sessionData(kind: Exclude<SessionKind, 'multi_turn'>, w: Partial<IpWorkload> & { data: Data }, c: SessionContext): Record<string, unknown> | undefined {
  const d = w.data;
  if (kind === 'conversations') {
    // conversation_replay_datagen.py get_supported_apis: completion only.
    if (w.api?.type === 'chat') {
      c.issues.add([...c.at, 'api', 'type'], '"chat": inference-perf runs conversation_replay only on the completion API: set api.type: completion');
      return undefined;
    }
    if (misplaced(d, ['conversation_replay'], c)) return undefined;
    const cr = d.conversation_replay ?? {};
    const length = (x: IpDistribution | undefined, key: string, fallback: number): unknown => (x ? nativeDistribution(x, `conversation_replay.${key}`, c.note, 'sample') : fallback);
    if (!d.conversation_replay) c.note('data.conversation_replay', {}, "not given: inference-perf's defaults");
    if (cr.seed === undefined) c.note('data.conversation_replay.seed', CONVERSATION.seed, "not given: inference-perf's default (the same conversations every run)");
    return {
      type: 'conversations',
      conversations: cr.num_conversations ?? CONVERSATION.conversations,
      system_prompt_tokens: cr.shared_system_prompt_len ?? CONVERSATION.system,
      ...(cr.dynamic_system_prompt_len ? { dynamic_system_prompt_tokens: nativeDistribution(cr.dynamic_system_prompt_len, 'conversation_replay.dynamic_system_prompt_len', c.note, 'sample') } : {}),
      turns: length(cr.turns_per_conversation, 'turns_per_conversation', CONVERSATION.turns),
      turn_tokens: length(cr.input_tokens_per_turn, 'input_tokens_per_turn', CONVERSATION.turnTokens),
      max_tokens: length(cr.output_tokens_per_turn, 'output_tokens_per_turn', CONVERSATION.maxTokens),
      think_time_s: length(cr.tool_call_latency_sec, 'tool_call_latency_sec', 0),
      ...(cr.max_model_len === undefined ? {} : { max_model_len: cr.max_model_len }),
      seed: cr.seed ?? CONVERSATION.seed,
    };
  }
  if (kind === 'trace') return requestTrace(w, c);
  return sessionTrace(w, c);
}

/** `load.trace` and `data.trace`: an Azure LLM inference trace replayed at its own times with its own lengths. */
function requestTrace(w: Partial<IpWorkload> & { data: Data }, c: SessionContext): Record<string, unknown> | undefined {
  const d = w.data;
  const timed = w.load?.trace;
  if (w.load && w.load.type !== 'trace_replay') {
    c.issues.add([...c.at, 'data', 'trace'], `replayed only with load.type trace_replay here (with ${w.load.type}, inference-perf sends the trace's lengths on the ${w.load.type} timer)`);
    return undefined;
  }
  if (w.load && !timed) {
    c.issues.add([...c.at, 'load', 'trace'], 'required by a trace_replay load (the trace whose timestamps the requests are sent at)');
    return undefined;
  }
  if (!d.trace) {
    c.issues.add([...c.at, 'data', 'trace'], "required with load.type trace_replay: without it inference-perf draws the lengths from data's distributions at the trace's times, which is not run here; give the load's trace file here too");
    return undefined;
  }
  if (timed && timed.file !== d.trace.file) {
    c.issues.add([...c.at, 'data', 'trace', 'file'], `${JSON.stringify(d.trace.file)} differs from load.trace.file ${JSON.stringify(timed.file)}: the times and the lengths of a replay come from one trace here`);
    return undefined;
  }
  if (d.type !== 'random') {
    c.issues.add([...c.at, 'data', 'type'], `"${d.type}": a trace's lengths are read by random data in inference-perf; set data.type: random`);
    return undefined;
  }
  if (misplaced(d, ['trace', 'input_distribution', 'output_distribution'], c)) return undefined;
  if (d.input_distribution || d.output_distribution) c.note('data.input_distribution', null, "no effect with a trace: the trace's lengths are sent, as inference-perf does");
  if (seed(w) === undefined) c.note('data.trace', d.trace.file, 'the prompt texts are drawn with a fresh seed each run (load.base_seed not given), recorded in the report');
  return { type: 'trace', path: d.trace.file, format: 'azure', ...seedOf(w) };
}

const seed = (w: Partial<IpWorkload>): number | undefined => w.load?.base_seed;
const seedOf = (w: Partial<IpWorkload>): { seed?: number } => (seed(w) === undefined ? {} : { seed: seed(w)! });

/** inference-perf's base seed of the Weka replay's synthetic block text when load.base_seed is not given (`weka_trace_replay_datagen.py`). */
const WEKA_SEED = 42;

/** The options of each replay the native `trace` data takes (`lib/config/schema/trace-data.ts`). */
const NATIVE_TRACE_OPTIONS: Record<'otel' | 'weka', readonly string[]> = {
  otel: ['include_errors', 'default_max_tokens'],
  weka: ['trace_idle_gap_cap_seconds', 'default_block_size'],
};

/** Why an inference-perf replay option the native replay does not take has no effect here. */
const OTHER_TRACE_OPTIONS: Record<string, string> = {
  use_static_model: "no effect: every request asks for the target's model (server.model_name)",
  static_model_name: "no effect: every request asks for the target's model (server.model_name)",
  model_mapping: "no effect: every request asks for the target's model (server.model_name)",
  skip_invalid_files: 'no effect: a trace file that cannot be read stops the test with its reason before anything is sent',
  max_wait_ms: 'no effect: calls are sent at their recorded times, not after their predecessors finish',
  predecessor_wait_timeout_sec: 'no effect: calls are sent at their recorded times, not after their predecessors finish',
  inject_random_session_id: 'no effect: the trace data sends no session header',
  duplicate_sessions_target: 'no effect: each recorded session is replayed once',
};

/** `otel_trace_replay` / `weka_trace_replay`: the trace files and the replay's options. */
function sessionTrace(w: Partial<IpWorkload> & { data: Data }, c: SessionContext): Record<string, unknown> | undefined {
  const d = w.data;
  if (d.type !== 'otel_trace_replay' && d.type !== 'weka_trace_replay') {
    c.issues.add([...c.at, 'data', 'type'], `"${d.type}": a trace_session_replay load needs data.type otel_trace_replay or weka_trace_replay, as in inference-perf`);
    return undefined;
  }
  const key = d.type;
  if (w.load && w.load.type !== 'trace_session_replay') {
    c.issues.add([...c.at, 'load', 'type'], `"${w.load.type}": inference-perf runs ${key} only with load.type trace_session_replay`);
    return undefined;
  }
  // replay_graph_session_datagen.py get_supported_apis: chat (or Anthropic messages, refused on its own).
  if ((w.api?.type ?? 'completion') !== 'chat') {
    c.issues.add([...c.at, 'api', 'type'], `"${w.api?.type ?? 'completion'}"${w.api ? '' : " (inference-perf's default)"}: inference-perf replays ${key} only on the chat API: set api.type: chat`);
    return undefined;
  }
  if (misplaced(d, [key], c)) return undefined;
  const block = d[key];
  if (!block) {
    c.issues.add([...c.at, 'data', key], `required for ${key} data (trace_files or trace_directory)`);
    return undefined;
  }
  const { trace_directory: dir, trace_files: files, hf_dataset_path: hub, ...options } = block;
  if (hub !== undefined) {
    c.issues.add([...c.at, 'data', key, 'hf_dataset_path'], 'a Hugging Face dataset, and nothing is downloaded here: download its trace files and give them as trace_files or trace_directory');
    return undefined;
  }
  const paths = files ?? (dir === undefined ? undefined : traceDirectory(dir, [...c.at, 'data', key, 'trace_directory'], c));
  if (!paths) return undefined;
  const format = key === 'otel_trace_replay' ? 'otel' : 'weka';
  // The options the file sets (those at upstream's default say nothing more); num_dataset_entries only limits a Hugging Face download.
  const defaults: Record<string, unknown> = (key === 'otel_trace_replay' ? OTelTraceReplaySchema : WekaTraceReplaySchema).parse({ trace_files: ['-'] });
  const given = Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k !== 'num_dataset_entries' && JSON.stringify(v) !== JSON.stringify(defaults[k])));
  if ('num_dataset_entries' in options && options.num_dataset_entries !== defaults.num_dataset_entries) {
    c.note(`data.${key}.num_dataset_entries`, options.num_dataset_entries, 'no effect: it limits the traces read from a Hugging Face dataset, and these are local files');
  }
  // The native trace reader takes the options that shape the requests; the others choose models, sessions or error handling it does not do.
  const used = NATIVE_TRACE_OPTIONS[format];
  for (const [k, v] of Object.entries(given)) {
    if (used.includes(k)) continue;
    delete given[k];
    c.note(`data.${key}.${k}`, v, OTHER_TRACE_OPTIONS[k] ?? 'no effect: the replay sends every recorded call at its recorded time, to the target\'s model');
  }
  let seeded = seedOf(w);
  if (format === 'weka' && seed(w) === undefined) {
    seeded = { seed: WEKA_SEED };
    c.note('load.base_seed', WEKA_SEED, "not given: inference-perf's Weka replay seeds the text of its hashed blocks with 42 then");
  }
  return { type: 'trace', path: paths.length === 1 ? paths[0] : paths, format, ...(Object.keys(given).length > 0 ? { [format]: given } : {}), ...seeded };
}

/** The `*.json` files of a trace directory, sorted, as inference-perf lists them; paths as written, so they resolve as the directory does. */
function traceDirectory(dir: string, at: PropertyKey[], c: SessionContext): string[] | undefined {
  let names: string[];
  try {
    names = readdirSync(resolve(c.cwd, dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    c.issues.add(at, `cannot be read (relative to where vitest runs, ${c.cwd}): ${(err as Error).message}`);
    return undefined;
  }
  if (names.length === 0) {
    c.issues.add(at, `has no .json trace files (relative to where vitest runs, ${c.cwd})`);
    return undefined;
  }
  return names.map((n) => posix.join(dir, n));
}

/**
 * Adds the session keys to a `shared_prefix` or `conversations` data: `enable_multi_turn_chat`
 * and `session_header` (`api.session_id_header_key`). For trace data the header key has no effect.
 */
export function sessionKeys(kind: SessionKind, data: Record<string, unknown>, header: string | undefined, note: Note): void {
  if (kind === 'multi_turn') {
    data.enable_multi_turn_chat = true;
    if (data.seed === undefined) note('data.shared_prefix.seed', null, 'not given (nor load.base_seed): the users and their prompts are drawn with a fresh seed each run, as inference-perf draws them unseeded; the report records it');
  }
  if (kind === 'trace' || kind === 'session_trace') {
    if (header !== undefined) note('api.session_id_header_key', header, 'no effect on a trace replay: the trace data sets no session header');
    return;
  }
  if (header !== undefined) data.session_header = header;
  else note('api.session_id_header_key', 'x-session-id', 'not given: inference-perf then sends no session header; here each session sends x-session-id, which only matters to a gateway with session affinity');
}

/** The trace load, with notes for the stage keys that have no effect on it. */
export function traceLoad(kind: 'trace' | 'session_trace', stages: readonly Stage[], note: Note): Record<string, unknown> {
  if (kind === 'trace') {
    note('load.stages', stages, `rate and duration have no effect: inference-perf sends the whole trace in each stage at the trace's times${stages.length > 1 ? '; here it is replayed once' : ''}`);
  } else {
    note('load.stages', stages, `each session's calls are sent at their recorded times from the start of the replay, not concurrent_sessions at a time${stages.length > 1 ? "; the trace is replayed once, where inference-perf's stages take successive slices of its sessions" : ''}`);
  }
  return { type: 'trace', speedup: 1 };
}

/** Mean turns of a conversation: int(mean) when fixed (not clipped, as upstream draws it), else the mean within min..max; upstream's 10 when not given. */
export function meanTurns(d: IpDistribution | undefined): number {
  if (!d) return CONVERSATION.turns;
  return Math.max(1, d.type === 'fixed' ? Math.trunc(d.mean) : Math.min(d.max, Math.max(d.min, d.mean)));
}

/**
 * The stages of a `conversation_replay` workload as session counts: inference-perf counts a turn as
 * a request, a session load counts sessions. A concurrent stage's `num_requests` becomes
 * `ceil(num_requests / turns)` sessions, at least the concurrency level; a timed stage's rate
 * becomes the rate of `round(rate × duration / turns)` sessions (at least one) over its duration.
 * `whence` says where `turns` came from, for the note.
 */
export function sessionStages(stages: readonly Stage[], type: IpWorkload['load']['type'], turns: number, note: Note, whence: string): Stage[] {
  const out = stages.map((s): Stage => {
    if (type === 'concurrent') return { ...s, num_requests: Math.max(s.concurrency_level!, Math.ceil(s.num_requests! / turns)) };
    const sessions = Math.max(1, Math.round((s.rate! * s.duration!) / turns));
    // int(rate × duration) must give back `sessions`: a quotient rounded down by one ulp would lose one.
    let rate = sessions / s.duration!;
    while (Math.trunc(rate * s.duration!) < sessions) rate *= 1 + Number.EPSILON;
    return { ...s, rate };
  });
  const what = type === 'concurrent' ? 'num_requests' : 'rate';
  note(
    `load.stages[].${what}`,
    out.map((s) => s[what]),
    `sessions, not requests: inference-perf counts each turn as a request, and here a stage starts conversations that run all their turns, so ${what} is divided by ${turns} (${whence})${type === 'concurrent' ? ', at least the concurrency level' : ''}`,
  );
  return out;
}

/**
 * A multi-turn `shared_prefix` workload's rounds: inference-perf sends request i as round
 * floor(i / users) of user i mod users, so a stage of R requests gives each user about R / users
 * rounds. The data gets `rounds: ceil(R / users)` (R of the first stage) and each stage starts
 * sessions of that many rounds (`sessionStages`): about R requests, as upstream sends. Upstream
 * interleaves the users' rounds over the stage; here each user sends its rounds one after another.
 */
export function userRounds(data: Record<string, unknown>, stages: readonly Stage[], type: IpWorkload['load']['type'], note: Note): Stage[] {
  const users = Number(data.num_groups) * Number(data.num_prompts_per_group);
  const first = stages[0]!;
  const requests = type === 'concurrent' ? first.num_requests! : Math.trunc(first.rate! * first.duration!);
  const rounds = Math.max(1, Math.ceil(requests / users));
  data.rounds = rounds;
  note('data.shared_prefix.enable_multi_turn_chat', true, `${users} user sessions of ${rounds} rounds each (inference-perf sends request i as round i / ${users} of user i mod ${users}); each user sends its rounds one after another, where inference-perf interleaves them over the stage`);
  return sessionStages(stages, type, rounds, note, `the rounds of each of the ${users} users`);
}
