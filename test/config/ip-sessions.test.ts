/**
 * inference-perf's multi-turn and replay workloads through `suites/config`'s translation: the
 * native scenario each becomes (its meaning: blueprints, turns, lengths, think times, session
 * header, trace file and format, replay speed), the one-line refusals where running it would
 * measure something else, and inference-perf's own example configs for these types
 * (test/data/conversations/upstream, SOURCES.txt names their upstream paths and commit) together
 * with this repository's examples/inference-perf, translated unchanged and validated end to end.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DATA_TYPES, DataSchema } from '../../lib/config/schema/data.ts';
import { LoadSchema } from '../../lib/config/schema/load.ts';
import { loadWellLitConfig } from '../../lib/config/well-lit/index.ts';
import { tempDir } from './temp-dir.ts';
import { onlyScenario, translateIpText } from './translate-ip.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UPSTREAM = join(ROOT, 'test/data/conversations/upstream');
const EXAMPLES = join(ROOT, 'examples/inference-perf');
const upstream = (file: string): string => readFileSync(join(UPSTREAM, file), 'utf8');
const translate = (text: string, cwd = ROOT) => translateIpText(text, cwd);
const notesOf = (text: string): string[] => translate(text).scenarios[0]!.notes.map((n) => `${n.path}: ${n.source.replace(/^config\.yml: /, '')}`);
const problemsOf = (text: string): string[] => translate(text).problems;

const SERVER = 'server: { base_url: http://127.0.0.1:1 }\n';
const CONSTANT = 'load: { type: constant, base_seed: 3, stages: [{ rate: 20, duration: 5 }] }\n';

describe('shared_prefix with enable_multi_turn_chat', () => {
  it("inference-perf's examples/vllm/config-shared-prefix-multi-turn.yml: 2 groups x 10 users of 100 + 50 tokens, output 50, its 100 requests as the 20 users' sessions of 5 rounds", () => {
    const s = onlyScenario(translate(upstream('shared-prefix-multi-turn.yml')));
    expect(s.data).toEqual({ type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 10, system_prompt_len: 100, question_len: 50, output_len: 50, enable_multi_turn_chat: true, rounds: 5 });
    // 20 requests/s for 5 s: 100 requests, round i / 20 of user i mod 20, so 20 sessions of 5 rounds, started at 4 a second.
    expect(s.load).toEqual({ type: 'constant', arrivals: 'inference-perf', stages: [{ rate: 4, duration: 5 }], drain_timeout: 300 });
    expect(s.api).toBe('completions');
    const notes = notesOf(upstream('shared-prefix-multi-turn.yml'));
    expect(notes).toContain('data.shared_prefix.seed: not given (nor load.base_seed): the users and their prompts are drawn with a fresh seed each run, as inference-perf draws them unseeded; the report records it');
    expect(notes.some((n) => n.startsWith('api.session_id_header_key: not given: inference-perf then sends no session header; here each session sends x-session-id'))).toBe(true);
  });

  it('api.session_id_header_key is the session header; the seed is the block seed, else load.base_seed', () => {
    const text = `${CONSTANT}${SERVER}api: { session_id_header_key: x-affinity }\ndata: { type: shared_prefix, shared_prefix: { enable_multi_turn_chat: true } }\n`;
    expect(onlyScenario(translate(text)).data).toMatchObject({ enable_multi_turn_chat: true, session_header: 'x-affinity', seed: 3, num_groups: 10, num_prompts_per_group: 10 });
    expect(onlyScenario(translate(text.replace('enable_multi_turn_chat: true', 'enable_multi_turn_chat: true, seed: 9'))).data).toMatchObject({ seed: 9 });
  });

  it('the session header keys name headers, not secrets: reports show them', () => {
    const dir = tempDir();
    dir.write('ip.yaml', `${CONSTANT}${SERVER}api: { session_id_header_key: x-affinity, session_token_header_key: x-session-token }\ndata: { type: shared_prefix, shared_prefix: { enable_multi_turn_chat: true } }\n`);
    const config = loadWellLitConfig('ip.yaml', { cwd: dir.path, env: {} });
    expect(config.secrets).not.toContain('x-affinity');
    expect(config.secrets).not.toContain('x-session-token');
  });

  it('on api.type chat the rounds still go to the completions API, as inference-perf sends them', () => {
    const text = `${CONSTANT}${SERVER}api: { type: chat, streaming: true }\ndata: { type: shared_prefix, shared_prefix: { enable_multi_turn_chat: true } }\n`;
    expect(onlyScenario(translate(text))).toMatchObject({ api: 'completions', stream: true });
    expect(notesOf(text).some((n) => n.startsWith("api.type: sent as completions: inference-perf's multi-turn shared_prefix rounds are completion requests"))).toBe(true);
  });

  it('false (the default) stays single-turn, with no session keys', () => {
    const data = onlyScenario(translate(`${CONSTANT}${SERVER}data: { type: shared_prefix, shared_prefix: { enable_multi_turn_chat: false } }\n`)).data as Record<string, unknown>;
    expect(data.enable_multi_turn_chat).toBeUndefined();
    expect(data.session_header).toBeUndefined();
  });
});

describe('conversation_replay → conversations', () => {
  it('workload-catalog/interactive-chat: blueprints, shared and dynamic system prompt, turns, lengths and tool latency as think time', () => {
    const t = translate(upstream('conversation-replay-interactive-chat.yaml'));
    const s = onlyScenario(t);
    expect(s.data).toEqual({
      type: 'conversations',
      conversations: 50,
      system_prompt_tokens: 1000,
      dynamic_system_prompt_tokens: { type: 'lognormal', min: 500, max: 15000, mean: 4000, std: 2500 },
      turns: { type: 'lognormal', min: 1, max: 15, mean: 4, std: 2.5 },
      turn_tokens: { type: 'lognormal', min: 10, max: 1000, mean: 50, std: 40 },
      max_tokens: { type: 'normal', min: 10, max: 1000, mean: 300, std: 150 },
      think_time_s: { type: 'lognormal', min: 5, max: 300, mean: 45, std: 40 },
      seed: 42,
    });
    // 300 requests (turns) a stage, 4 turns a conversation on average: 75 sessions at every level.
    expect(s.load).toMatchObject({ type: 'sweep', concurrency: [10, 20, 30, 40, 50] });
    expect(s.num_requests).toBe(75);
    expect(t.scenarios[0]!.notes.find((n) => n.path === 'load.stages[].num_requests')).toMatchObject({ value: [75, 75, 75, 75, 75] });
  });

  it("inference-perf's defaults are written out, since the native ones differ", () => {
    const s = onlyScenario(translate(`${CONSTANT}${SERVER}data: { type: conversation_replay }\n`));
    expect(s.data).toEqual({ type: 'conversations', conversations: 200, system_prompt_tokens: 8359, turns: 10, turn_tokens: 512, max_tokens: 256, think_time_s: 0, seed: 42 });
  });

  it('a timed stage starts sessions at rate / mean turns, so as many turns are sent; a concurrent stage has at least one session per user', () => {
    const fixed = 'data: { type: conversation_replay, conversation_replay: { turns_per_conversation: { type: fixed, mean: 4 }, max_model_len: 4096, seed: 1 } }\n';
    const open = onlyScenario(translate(`${CONSTANT}${SERVER}${fixed}`));
    expect(open.load).toMatchObject({ type: 'constant', stages: [{ rate: 5, duration: 5 }] });
    expect(open.data).toMatchObject({ turns: { type: 'fixed', mean: 4 }, max_model_len: 4096, seed: 1 });
    const closed = onlyScenario(translate(`load: { type: concurrent, stages: [{ concurrency_level: 8, num_requests: 12 }] }\n${SERVER}${fixed}`));
    expect(closed).toMatchObject({ num_requests: 8, load: { type: 'concurrency', concurrency: 8 } });
  });

  it('workload-catalog/deep-research and code-generation translate: one scenario per stage (their counts differ)', () => {
    for (const file of ['conversation-replay-deep-research.yaml', 'conversation-replay-code-generation.yaml']) {
      const t = translate(upstream(file));
      expect(t.problems, file).toEqual([]);
      expect(t.scenarios.map((s) => s.scenario.load)).toHaveLength(5);
    }
    // code-generation: 540 turns on average, so each stage runs one session per user.
    expect(translate(upstream('conversation-replay-code-generation.yaml')).scenarios.map((s) => s.scenario.num_requests)).toEqual([5, 10, 20, 30, 40]);
  });

  it('a key of another data type, or the chat API (inference-perf has completions only), is a one-line problem', () => {
    expect(problemsOf(`${CONSTANT}${SERVER}data: { type: conversation_replay, path: x.jsonl }\n`)).toEqual(['data.path: not used by conversation_replay data: remove it']);
    expect(problemsOf(`${CONSTANT}${SERVER}api: { type: chat }\ndata: { type: conversation_replay }\n`)).toEqual([
      'api.type: "chat": inference-perf runs conversation_replay only on the completion API: set api.type: completion',
    ]);
  });
});

describe('trace_replay → trace data and load', () => {
  it("inference-perf's examples/vllm/config-trace-replay.yml: the Azure trace at its own times, speed-up 1, with its lengths", () => {
    const t = translate(upstream('config-trace-replay.yml'));
    const s = onlyScenario(t);
    expect(s.data).toEqual({ type: 'trace', path: './traces/trace.csv', format: 'azure' });
    expect(s.load).toEqual({ type: 'trace', speedup: 1 });
    expect(s.stream).toBe(true);
    expect(t.scenarios[0]!.notes.map((n) => n.path)).toEqual(expect.arrayContaining(['load.stages', 'data.trace']));
  });

  const trace = (loadTrace: string, dataTrace: string, type = 'trace_replay') =>
    `load: { type: ${type}, ${loadTrace} stages: [{ rate: 1, duration: 30 }] }\n${SERVER}data: { type: random, ${dataTrace} }\n`;

  it('load.base_seed seeds the texts', () => {
    expect(onlyScenario(translate(trace('base_seed: 5, trace: { file: a.csv },', 'trace: { file: a.csv }'))).data).toEqual({ type: 'trace', path: 'a.csv', format: 'azure', seed: 5 });
  });

  it('refused with one line naming the key where it would send something else', () => {
    expect(problemsOf(trace('trace: { file: a.csv },', ''))).toEqual([
      "data.trace: required with load.type trace_replay: without it inference-perf draws the lengths from data's distributions at the trace's times, which is not run here; give the load's trace file here too",
    ]);
    expect(problemsOf(trace('trace: { file: a.csv },', 'trace: { file: b.csv }'))).toEqual([
      'data.trace.file: "b.csv" differs from load.trace.file "a.csv": the times and the lengths of a replay come from one trace here',
    ]);
    expect(problemsOf(trace('', 'trace: { file: a.csv }'))).toEqual(['load.trace: required by a trace_replay load (the trace whose timestamps the requests are sent at)']);
    expect(problemsOf(trace('', 'trace: { file: a.csv }', 'constant'))).toEqual([
      "data.trace: replayed only with load.type trace_replay here (with constant, inference-perf sends the trace's lengths on the constant timer)",
    ]);
    expect(problemsOf(trace('trace: { file: a.csv, format: Mooncake },', 'trace: { file: a.csv }'))[0]).toMatch(/^load\.trace\.format: expected one of "AzurePublicDataset", got "Mooncake"/);
  });
});

describe('trace_session_replay of OTel and Weka traces → trace data and load', () => {
  it("inference-perf's examples/otel/configs/simple/two-sessions-sequential.yml: its two files, its options, the header noted as without effect", () => {
    const t = translate(upstream('otel-two-sessions-sequential.yml'));
    const s = onlyScenario(t);
    expect(s.data).toEqual({
      type: 'trace',
      format: 'otel',
      path: ['examples/otel/test_traces/simple/simple_chain.json', 'examples/otel/test_traces/simple/simple_chain_alt.json'],
      otel: { default_max_tokens: 100000 },
    });
    expect(s.load).toEqual({ type: 'trace', speedup: 1 });
    expect(s.api).toBe('chat');
    const notes = t.scenarios[0]!.notes.map((n) => n.path);
    expect(notes).toEqual(
      expect.arrayContaining(['api.session_id_header_key', 'load.stages', 'data.otel_trace_replay.use_static_model', 'data.otel_trace_replay.static_model_name', 'data.otel_trace_replay.skip_invalid_files']),
    );
  });

  it('trace_directory is its *.json files, sorted; a Weka replay is seeded with 42 unless load.base_seed is given', () => {
    const dir = tempDir();
    for (const f of ['b.json', 'a.json', 'notes.txt']) dir.write(`traces/${f}`, '{}');
    const text = `load: { type: trace_session_replay, stages: [{ concurrent_sessions: 2, num_sessions: 4 }] }\n${SERVER}api: chat\ndata: { type: weka_trace_replay, weka_trace_replay: { trace_directory: traces, default_block_size: 32 } }\n`;
    const s = onlyScenario(translate(text, dir.path));
    expect(s.data).toEqual({ type: 'trace', format: 'weka', path: ['traces/a.json', 'traces/b.json'], weka: { default_block_size: 32 }, seed: 42 });
    expect(onlyScenario(translate(text.replace('num_sessions: 4 }] }', 'num_sessions: 4 }], base_seed: 6 }'), dir.path)).data).toMatchObject({ seed: 6 });
    expect(translate(text.replace('trace_directory: traces', 'trace_directory: none'), dir.path).problems[0]).toMatch(/^data\.weka_trace_replay\.trace_directory: cannot be read/);
  });

  it('refused with one line: a Hugging Face dataset (inference-perf\'s config-weka.yaml and agentic-trace-replay), another load, other data', () => {
    expect(problemsOf(upstream('weka-trace-replay.yaml'))).toContain(
      'data.weka_trace_replay.hf_dataset_path: a Hugging Face dataset, and nothing is downloaded here: download its trace files and give them as trace_files or trace_directory',
    );
    expect(problemsOf(upstream('otel-agentic-trace-replay.yaml'))).toEqual([
      'data.otel_trace_replay.hf_dataset_path: a Hugging Face dataset, and nothing is downloaded here: download its trace files and give them as trace_files or trace_directory',
    ]);
    const otel = 'api: chat\ndata: { type: otel_trace_replay, otel_trace_replay: { trace_files: [t.json] } }\n';
    expect(problemsOf(`load: { type: trace_session_replay, stages: [{ concurrent_sessions: 1 }] }\n${SERVER}${otel.replace('api: chat\n', '')}`)).toEqual([
      `api.type: "completion" (inference-perf's default): inference-perf replays otel_trace_replay only on the chat API: set api.type: chat`,
    ]);
    expect(problemsOf(`${CONSTANT}${SERVER}${otel}`)).toEqual(['load.type: "constant": inference-perf runs otel_trace_replay only with load.type trace_session_replay']);
    const sessions = 'load: { type: trace_session_replay, stages: [{ concurrent_sessions: 1 }] }\n';
    expect(problemsOf(`${sessions}${SERVER}data: { type: conversation_replay }\n`)).toEqual([
      'data.type: "conversation_replay": a trace_session_replay load needs data.type otel_trace_replay or weka_trace_replay, as in inference-perf',
    ]);
    expect(problemsOf(`load: { type: trace_session_replay, stages: [{ concurrent_sessions: 2, session_rate: 5, rate: 1 }] }\n${SERVER}${otel}`)).toEqual([
      'load.stages[0].rate: belongs to constant, poisson and trace_replay stages; a trace_session_replay stage has concurrent_sessions',
      'load.stages[0].session_rate: 5 cannot exceed concurrent_sessions (2), as inference-perf says',
    ]);
    expect(problemsOf(`load: { type: constant, stages: [{ rate: 1, duration: 1, num_sessions: 2 }] }\n${SERVER}data: { type: conversation_replay }\n`)).toEqual([
      'load.stages[0].num_sessions: belongs to trace_session_replay stages; a constant stage has rate and duration',
    ]);
  });
});

/**
 * Whether the scenario schema has the native session and trace data types (`conversations`,
 * `trace`). They are built alongside this translation; once merged this is true and the tests
 * below run (they must not stay skipped on main).
 */
const NATIVE_SESSIONS = (['conversations', 'trace'] as const).every((t) => (DATA_TYPES as readonly string[]).includes(t));

describe('end to end: each config loads as suites/config loads it, its scenarios valid by the scenario schema', () => {
  const runnable = [
    ...['shared-prefix-multi-turn.yml', 'config-trace-replay.yml', 'otel-two-sessions-sequential.yml', 'conversation-replay-interactive-chat.yaml', 'conversation-replay-deep-research.yaml', 'conversation-replay-code-generation.yaml'].map(
      (f) => join('test/data/conversations/upstream', f),
    ),
    ...readdirSync(EXAMPLES).map((f) => join('examples/inference-perf', f)),
  ];

  it('the examples are one per data type', () => {
    const types = readdirSync(EXAMPLES).map((f) => onlyScenario(translateIpText(readFileSync(join(EXAMPLES, f), 'utf8'), ROOT, f)).data as { type: string; format?: string; enable_multi_turn_chat?: boolean });
    expect(types.map((d) => `${d.type}${d.format ? `:${d.format}` : ''}${d.enable_multi_turn_chat ? ':multi-turn' : ''}`).sort()).toEqual(['conversations', 'shared_prefix:multi-turn', 'trace:azure', 'trace:otel', 'trace:weka']);
  });

  // Checked by the coordinator after merging: these run once the native session and trace types are in the scenario schema.
  it.skipIf(!NATIVE_SESSIONS).each(readdirSync(EXAMPLES))('examples/inference-perf/%s: its data and load parse by the native DataSchema and LoadSchema', (file) => {
    const s = onlyScenario(translateIpText(readFileSync(join(EXAMPLES, file), 'utf8'), ROOT, file));
    expect(DataSchema.safeParse(s.data).error).toBeUndefined();
    expect(LoadSchema.safeParse(s.load).error).toBeUndefined();
  });

  it.skipIf(!NATIVE_SESSIONS).each(runnable)('%s', (file) => {
    const config = loadWellLitConfig(file, { cwd: ROOT, env: {} });
    expect(Object.keys(config.file.scenarios).length).toBeGreaterThan(0);
  });
});
