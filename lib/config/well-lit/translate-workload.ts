/**
 * One inference-perf workload → vitest-llm-d scenarios (the `ScenarioSchema` input form):
 *
 * | inference-perf | scenario |
 * | --- | --- |
 * | `load.type: constant\|poisson` + `stages: [{rate, duration}]` | the same load type and stages with `arrivals: inference-perf` (its load timers, `kubernetes-sigs/inference-perf inference_perf/loadgen/load_timer.py`: int(rate × duration) requests a stage; `BENCH_ARRIVALS=exact` for the exact process); `base_seed` seeds the arrivals |
 * | `load.type: concurrent` + `stages: [{concurrency_level, num_requests}]` | a `sweep` over the levels with `num_requests` per level when every stage has the same count; otherwise one `concurrency` scenario per stage (`<name>.c<level>`), since a sweep runs one count at every level; one stage is one `concurrency` scenario |
 * | `load.interval` (default 1 s) | the load's `pause` between stages (`inference_perf/loadgen/load_generator.py` sleeps it after each stage; after the last one nothing is left to measure) |
 * | `load.request_timeout` | the request's whole time limit, as inference-perf gives it to aiohttp (`ClientTimeout(total=...)`, `inference_perf/client/modelserver/openai_client.py`): `timeouts` total, first token, idle and connect all that long; without it aiohttp's default, 300 s in all and 30 s to connect. Also how long a stage awaits its requests in flight (`drain_timeout`) |
 * | (no stop rules in inference-perf) | `stop: false`: every stage runs whatever the latency |
 * | `api.type: completion\|chat`, `api.streaming` | `api: completions\|chat`, `stream` (inference-perf's default: completion, not streamed) |
 * | `data.type: random` + distributions | `random` (`std` read as `std_dev`, `variance` as its square; `type: fixed` is `std: 0`) |
 * | `data.type: shared_prefix` | `shared_prefix` |
 * | `data.type: shareGPT\|billsum_conversations\|cnn_dailymail\|infinity_instruct` + `path` (+ distributions) | `sharegpt` with inference-perf's reading of the type (`format`) and its `length_filter` (distributions' min..max, completion API) |
 | multi-turn `shared_prefix`, `conversation_replay`, `trace_replay`, `trace_session_replay` with OTel or Weka traces | see `translate-sessions.ts` (dataset files: `translate-dataset.ts`) |
 *
 * Target-level settings (`server`, `api.headers`, `tokenizer`) are returned for
 * `translate-target.ts`, which checks that every workload names the same endpoint.
 */
import type { ConfigOverride } from '../env.ts';
import { shapeProblem } from '../../data/length-shapes.ts';
import { nativeDistribution } from './ip-distribution.ts';
import type { Note } from './ip-distribution.ts';
import type { IssueList } from './issues.ts';
import { translateDataset } from './translate-dataset.ts';
import { meanTurns, sessionData, sessionKeys, sessionKind, sessionStages, traceLoad, userRounds } from './translate-sessions.ts';
import type { IpWorkload } from './workload-schema.ts';

/** A scenario made from a workload, before validation by `ScenarioSchema`. */
export interface TranslatedScenario {
  /** Scenario (and test) name. */
  name: string;
  /** The workload it came from, as a path: `workload.sanity_random` (`''` for a matrix at the top level). */
  origin: string;
  /** Input of `ScenarioSchema`. */
  scenario: Record<string, unknown>;
  /** How the translation read the file where that is worth saying, for the report. */
  notes: ConfigOverride[];
}

/**
 * Translates one parsed inference-perf workload named `name`, written at `at` in the file
 * (`workload.<name>`, or the top level of an inference-perf config file). Problems are recorded
 * in `issues` under that path; what could not be translated is left out of the result.
 */
export function translateIpWorkload(
  name: string,
  w: Partial<IpWorkload>,
  source: string,
  issues: IssueList,
  at: PropertyKey[] = ['workload', name],
  cwd = process.cwd(),
): TranslatedScenario[] {
  const origin = at.map(String).join('.');
  const notes: ConfigOverride[] = [];
  const note = (path: string, value: unknown, why: string): void => {
    notes.push({ path: origin ? `${origin}.${path}` : path, value, source: `${source}: ${why}` });
  };

  const api = w.api ?? { type: 'completion' as const, streaming: false };
  if (!w.api) note('api', { type: 'completion', streaming: false }, "not given: inference-perf's default, completion without streaming (TTFT, TPOT and ITL need streaming)");
  const tokenizer = w.tokenizer?.pretrained_model_name_or_path;
  if (tokenizer !== undefined) {
    note('tokenizer.pretrained_model_name_or_path', tokenizer, "prompts are measured with the offline tokenizer chosen for the model (its own when bundled, as Qwen3's is; otherwise Qwen3's as an approximation); the report names it");
  }
  // Each part is checked even when another failed, so one run names every problem.
  const kind = sessionKind(w);
  const data =
    w.data &&
    (kind && kind !== 'multi_turn' ? sessionData(kind, { ...w, data: w.data }, { at, issues, note, cwd }) : translateData(w.data, w.load?.base_seed, api.type, [...at, 'data'], issues, note));
  const checked = w.load && checkStages(w.load, [...at, 'load', 'stages'], issues, note);
  if (!w.load || !data || !checked) return [];
  if (kind) sessionKeys(kind, data, w.api?.session_id_header_key, note);
  // shared_prefix_datagen.py sends every multi-turn round as a UserSessionCompletionAPIData, whatever api.type says.
  const multiTurnChat = kind === 'multi_turn' && api.type === 'chat';
  if (multiTurnChat) note('api.type', 'chat', "sent as completions: inference-perf's multi-turn shared_prefix rounds are completion requests whatever api.type says (its user sessions have no chat form)");
  const stages =
    kind === 'conversations'
      ? sessionStages(checked, w.load.type, meanTurns(w.data!.conversation_replay?.turns_per_conversation), note, 'the mean of turns_per_conversation within min..max')
      : kind === 'multi_turn'
        ? userRounds(data, checked, w.load.type, note)
        : checked;

  const base: Record<string, unknown> = {
    description: `inference-perf workload ${name} of ${source}`,
    api: api.type === 'completion' || multiTurnChat ? 'completions' : 'chat',
    stream: api.streaming,
    data,
    // inference-perf runs every stage whatever the latency: no stop rules.
    stop: false,
    timeouts: requestTimeouts(w.load.request_timeout, note),
  };
  // Requests still in flight when a stage's time is up are awaited until they finish or time out,
  // not cut: cutting the slow ones would leave an overloaded stage's statistics biased fast.
  const drain = { drain_timeout: w.load.request_timeout ?? AIOHTTP_TOTAL_S };
  const { type } = w.load;
  if (type === 'trace_replay' || type === 'trace_session_replay') {
    return [{ name, origin, scenario: { ...base, load: traceLoad(type === 'trace_replay' ? 'trace' : 'session_trace', stages, note) }, notes }];
  }
  const pause = pauseOf(w.load, stages.length, note);
  if (type === 'constant' || type === 'poisson') {
    const seed = w.load.base_seed !== undefined ? { seed: w.load.base_seed } : {};
    const load = { type, arrivals: 'inference-perf', stages: stages.map((s) => ({ rate: s.rate!, duration: s.duration! })), ...seed, ...pause, ...drain };
    return [{ name, origin, scenario: { ...base, load }, notes }];
  }
  const levels = stages.map((s) => s.concurrency_level!);
  const counts = stages.map((s) => s.num_requests!);
  if (stages.length === 1) return [{ name, origin, scenario: { ...base, num_requests: counts[0], load: { type: 'concurrency', concurrency: levels[0], ...drain } }, notes }];
  if (counts.every((c) => c === counts[0])) {
    return [{ name, origin, scenario: { ...base, num_requests: counts[0], load: { type: 'sweep', concurrency: levels, ...pause, ...drain } }, notes }];
  }
  if (pause.pause) {
    note('load.interval', pause.pause, 'not held: the stages run as separate tests, one after another');
  }
  // A sweep sends one count at every level; different counts are kept by running each stage on its own.
  const dupes = new Set(levels).size !== levels.length;
  return stages.map((s, i) => ({
    name: dupes ? `${name}.${i + 1}.c${levels[i]}` : `${name}.c${levels[i]}`,
    origin,
    scenario: {
      ...base,
      description: `inference-perf workload ${name} of ${source}, stage ${i + 1} of ${stages.length}`,
      num_requests: counts[i],
      load: { type: 'concurrency', concurrency: levels[i], ...drain },
    },
    notes: [
      ...notes,
      {
        path: `${origin ? `${origin}.` : ''}load.stages[${i}]`,
        value: { concurrency_level: levels[i], num_requests: counts[i] },
        source: `${source}: run as its own scenario, since the stages send different numbers of requests (a sweep sends one number at every level)`,
      },
    ],
  }));
}

type Stage = IpWorkload['load']['stages'][number];

/** aiohttp's default ClientTimeout, which inference-perf's client keeps without a request_timeout: 300 s in all, 30 s to connect. */
const AIOHTTP_TOTAL_S = 300;
const AIOHTTP_CONNECT_S = 30;

/**
 * The request's time limits as inference-perf's client sets them: only a total (no separate
 * first-token or idle limit), `request_timeout` or aiohttp's default.
 */
function requestTimeouts(requestTimeout: number | undefined, note: Note): Record<string, number> {
  if (requestTimeout !== undefined) return { total_s: requestTimeout, first_token_s: requestTimeout, idle_s: requestTimeout, connect_s: requestTimeout };
  note('load.request_timeout', AIOHTTP_TOTAL_S, "not given: inference-perf's client keeps aiohttp's default, 300 s for the whole request (30 s to connect), with no separate first-token or idle limit");
  return { total_s: AIOHTTP_TOTAL_S, first_token_s: AIOHTTP_TOTAL_S, idle_s: AIOHTTP_TOTAL_S, connect_s: AIOHTTP_CONNECT_S };
}

/** inference-perf's default `load.interval`, s. */
const DEFAULT_INTERVAL = 1;

/** The load's `pause` between stages from `load.interval` (none for a single stage, or 0). */
function pauseOf(load: IpWorkload['load'], stages: number, note: Note): { pause?: number } {
  if (stages < 2) {
    if (load.interval) note('load.interval', load.interval, 'one stage, so no pause between stages (inference-perf sleeps it after the stage, when nothing is left to measure)');
    return {};
  }
  if (load.interval === undefined) note('load.interval', DEFAULT_INTERVAL, "not given: inference-perf's default, an idle pause of 1 s between stages");
  const s = load.interval ?? DEFAULT_INTERVAL;
  return s > 0 ? { pause: s } : {};
}

type StageKey = keyof Stage;

/** The keys of each kind of stage (inference-perf's StandardLoadStage, ConcurrentLoadStage, TraceSessionReplayLoadStage): required, then optional. */
const STAGE_KINDS: Readonly<Record<'standard' | 'concurrent' | 'sessions', { owner: string; need: readonly StageKey[]; may: readonly StageKey[] }>> = {
  standard: { owner: 'constant, poisson and trace_replay', need: ['rate', 'duration'], may: [] },
  concurrent: { owner: 'concurrent', need: ['concurrency_level', 'num_requests'], may: ['rate', 'duration'] },
  sessions: { owner: 'trace_session_replay', need: ['concurrent_sessions'], may: ['session_rate', 'num_sessions', 'timeout'] },
};

const stageKind = (type: IpWorkload['load']['type']): keyof typeof STAGE_KINDS => (type === 'concurrent' ? 'concurrent' : type === 'trace_session_replay' ? 'sessions' : 'standard');

/**
 * The stages when each has the fields its load type needs. A stage with another kind's fields is
 * refused, as inference-perf's stage models refuse them; a concurrent stage's `rate` and `duration`
 * are accepted without effect, as in inference-perf (`ConcurrentLoadStage` takes them, and
 * `main.py` overwrites them: every request of the stage is queued within its first second).
 */
function checkStages(load: IpWorkload['load'], at: PropertyKey[], issues: IssueList, note: Note): Stage[] | undefined {
  const kind = STAGE_KINDS[stageKind(load.type)];
  let ok = true;
  // inference-perf's default is no stages, for a load.sweep to generate (a sweep is refused on its own).
  if (load.stages.length === 0) {
    issues.add(at, 'expected at least one stage (inference-perf sends nothing without stages)');
    ok = false;
  }
  load.stages.forEach((s, i) => {
    for (const key of kind.need) {
      if (s[key] === undefined) {
        issues.add([...at, i, key], `required by a ${load.type} load`);
        ok = false;
      }
    }
    for (const key of Object.keys(s) as StageKey[]) {
      if (s[key] === undefined || kind.need.includes(key)) continue;
      if (kind.may.includes(key)) {
        if (load.type === 'concurrent') note(`load.stages[${i}].${key}`, s[key], "accepted, no effect: inference-perf sets a concurrent stage's rate and duration itself (every request queued within its first second), and the concurrency level paces the sends");
        continue;
      }
      const owner = Object.values(STAGE_KINDS).find((k) => k.need.includes(key) || k.may.includes(key))!.owner;
      issues.add([...at, i, key], `belongs to ${owner} stages; a ${load.type} stage has ${kind.need.join(' and ')}`);
      ok = false;
    }
    if (s.session_rate !== undefined && s.concurrent_sessions && s.session_rate > s.concurrent_sessions) {
      issues.add([...at, i, 'session_rate'], `${s.session_rate} cannot exceed concurrent_sessions (${s.concurrent_sessions}), as inference-perf says`);
      ok = false;
    }
  });
  return ok ? load.stages : undefined;
}

/** `data` as a scenario data source input, or undefined (with issues recorded). */
function translateData(d: IpWorkload['data'], seed: number | undefined, api: 'completion' | 'chat', at: PropertyKey[], issues: IssueList, note: Note): Record<string, unknown> | undefined {
  const misplaced = (key: 'path' | 'input_distribution' | 'output_distribution' | 'shared_prefix', usedBy: string): boolean => {
    if (d[key] === undefined) return false;
    issues.add([...at, key], `only used by ${usedBy} data, and data.type is ${d.type}: remove it`);
    return true;
  };
  if (d.type === 'random') {
    const bad = [misplaced('path', 'shareGPT'), misplaced('shared_prefix', 'shared_prefix')].some(Boolean);
    const input = d.input_distribution;
    const output = d.output_distribution;
    if (!input) issues.add([...at, 'input_distribution'], 'required for random data');
    if (!output) issues.add([...at, 'output_distribution'], 'required for random data');
    if (!input || !output || bad) return undefined;
    // generate_distribution refuses what it cannot draw: a normal mean outside min..max, skew_normal, poisson.
    const refused = (['input_distribution', 'output_distribution'] as const).filter((key) => {
      const x = d[key]!;
      const problem = shapeProblem({ ...x, std: 0 }, 'generate');
      if (problem === undefined) return false;
      const mean = problem.startsWith('mean');
      issues.add([...at, key, mean ? 'mean' : 'type'], `${problem}${mean && x.mean === 512 ? " (512 is inference-perf's default mean)" : ''}`);
      return true;
    });
    if (refused.length > 0) return undefined;
    const counts = [input.total_count, output.total_count].filter((c) => c !== undefined);
    if (counts.length === 2 && counts[0] !== counts[1]) {
      issues.add([...at, 'output_distribution', 'total_count'], `${counts[1]} differs from input_distribution.total_count (${counts[0]}): each prompt has one output length, so give them the same count`);
      return undefined;
    }
    return {
      type: 'random',
      input_distribution: nativeDistribution(input, 'input_distribution', note),
      output_distribution: nativeDistribution(output, 'output_distribution', note),
      ...(counts[0] === undefined ? {} : { total_count: counts[0] }),
      ...(seed === undefined ? {} : { seed }),
    };
  }
  if (d.type === 'shared_prefix') {
    const bad = [misplaced('path', 'shareGPT'), misplaced('input_distribution', 'random'), misplaced('output_distribution', 'random')].some(Boolean);
    const sp = d.shared_prefix;
    if (!sp) issues.add([...at, 'shared_prefix'], 'required for shared_prefix data (num_groups, num_prompts_per_group, system_prompt_len, question_len, output_len)');
    if (!sp || bad) return undefined;
    const alias = (a: number | undefined, aKey: string, b: number | undefined, bKey: string, fallback: number): number | undefined => {
      if (a !== undefined && b !== undefined && a !== b) {
        issues.add([...at, 'shared_prefix', bKey], `${b} disagrees with ${aKey} (${a}); they are the same setting: give one`);
        return undefined;
      }
      return a ?? b ?? fallback;
    };
    const groups = alias(sp.num_groups, 'num_groups', sp.num_unique_system_prompts, 'num_unique_system_prompts', 10);
    const perGroup = alias(sp.num_prompts_per_group, 'num_prompts_per_group', sp.num_users_per_system_prompt, 'num_users_per_system_prompt', 10);
    if (groups === undefined || perGroup === undefined) return undefined;
    const prefixSeed = sp.seed ?? seed;
    // shared_prefix_datagen.py _resolve_distribution: an inline distribution, else the legacy one, else the number.
    const length = (key: 'system_prompt_len' | 'question_len' | 'output_len', legacyKey?: 'question_distribution' | 'output_distribution'): unknown => {
      const value = sp[key];
      const legacy = legacyKey && sp[legacyKey];
      if (typeof value !== 'number' && legacy) {
        issues.add([...at, 'shared_prefix', legacyKey], `cannot be given with an inline distribution on ${key}: use one or the other (as inference-perf says)`);
        return undefined;
      }
      const d = typeof value === 'number' ? legacy : value;
      return d ? nativeDistribution(d, `shared_prefix.${typeof value === 'number' ? legacyKey : key}`, note, 'sample') : value;
    };
    const lengths = { system_prompt_len: length('system_prompt_len'), question_len: length('question_len', 'question_distribution'), output_len: length('output_len', 'output_distribution') };
    if (Object.values(lengths).some((l) => l === undefined)) return undefined;
    return {
      type: 'shared_prefix',
      num_groups: groups,
      num_prompts_per_group: perGroup,
      ...lengths,
      ...(prefixSeed === undefined ? {} : { seed: prefixSeed }),
    };
  }
  // A dataset file: shareGPT, or one inference-perf reads the same way.
  return translateDataset(d, seed, api, at, issues, note, misplaced);
}
