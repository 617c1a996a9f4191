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
 *
 * Target-level settings (`server`, `api.headers`, `tokenizer`) are returned for
 * `translate-target.ts`, which checks that every workload names the same endpoint.
 */
import type { ConfigOverride } from '../env.ts';
import { shapeProblem } from '../../data/length-shapes.ts';
import type { LengthSampler } from '../../data/length-shapes.ts';
import type { IssueList } from './issues.ts';
import type { IpDistribution, IpWorkload } from './workload-schema.ts';

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

/** Fields the standard deviation defaults to when a distribution gives none (inference-perf's). */
const DEFAULT_STD = 200;

/**
 * Translates one parsed inference-perf workload named `name`, written at `at` in the file
 * (`workload.<name>`, or the top level of an inference-perf config file). Problems are recorded
 * in `issues` under that path; what could not be translated is left out of the result.
 */
export function translateIpWorkload(name: string, w: Partial<IpWorkload>, source: string, issues: IssueList, at: PropertyKey[] = ['workload', name]): TranslatedScenario[] {
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
  const data = w.data && translateData(w.data, w.load?.base_seed, api.type, [...at, 'data'], issues, note);
  const stages = w.load && checkStages(w.load, [...at, 'load', 'stages'], issues, note);
  if (!w.load || !data || !stages) return [];

  const base: Record<string, unknown> = {
    description: `inference-perf workload ${name} of ${source}`,
    api: api.type === 'completion' ? 'completions' : 'chat',
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

/**
 * The stages when each has the fields its load type needs. A constant or poisson stage with
 * `num_requests` or `concurrency_level` is refused, as inference-perf's `StandardLoadStage`
 * refuses it; a concurrent stage's `rate` and `duration` are accepted without effect, as in
 * inference-perf (`ConcurrentLoadStage` takes them, and `main.py` overwrites them: every request
 * of the stage is queued within its first second).
 */
function checkStages(load: IpWorkload['load'], at: PropertyKey[], issues: IssueList, note: Note): Stage[] | undefined {
  const closed = load.type === 'concurrent';
  const [need, other] = closed ? (['concurrency_level', 'num_requests'] as const) : (['rate', 'duration'] as const);
  const [forbid1, forbid2] = closed ? (['rate', 'duration'] as const) : (['concurrency_level', 'num_requests'] as const);
  let ok = true;
  // inference-perf's default is no stages, for a load.sweep to generate (a sweep is refused on its own).
  if (load.stages.length === 0) {
    issues.add(at, 'expected at least one stage (inference-perf sends nothing without stages)');
    ok = false;
  }
  load.stages.forEach((s, i) => {
    for (const key of [need, other]) {
      if (s[key] === undefined) {
        issues.add([...at, i, key], `required by a ${load.type} load`);
        ok = false;
      }
    }
    for (const key of [forbid1, forbid2]) {
      if (s[key] === undefined) continue;
      if (closed) {
        note(`load.stages[${i}].${key}`, s[key], "accepted, no effect: inference-perf sets a concurrent stage's rate and duration itself (every request queued within its first second), and the concurrency level paces the sends");
        continue;
      }
      issues.add([...at, i, key], `belongs to concurrent stages; a ${load.type} stage has ${need} and ${other}`);
      ok = false;
    }
  });
  return ok ? load.stages : undefined;
}

type Note = (path: string, value: unknown, why: string) => void;

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
      input_distribution: distribution(input, 'input_distribution', note),
      output_distribution: distribution(output, 'output_distribution', note),
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
      return d ? distribution(d, `shared_prefix.${typeof value === 'number' ? legacyKey : key}`, note, 'sample') : value;
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

/**
 * The dataset inference-perf loads from Hugging Face when `path` is not given, per data type
 * (`hf_sharegpt_datagen.py`: SHAREGPT_HF_DATASET_URL and SHAREGPT_HF_DATAFILES_PATH;
 * `cnn_dailymail_datagen.py`), or `null` where inference-perf itself requires `path`
 * (`infinity_instruct_datagen.py`, `hf_billsum_datagen.py`).
 */
const HUB_DATASETS: Readonly<Record<DatasetType, string | null>> = {
  shareGPT: 'anon8231489123/ShareGPT_Vicuna_unfiltered (file ShareGPT_V3_unfiltered_cleaned_split.json)',
  cnn_dailymail: 'abisee/cnn_dailymail (config 3.0.0)',
  infinity_instruct: null,
  billsum_conversations: null,
};

type DatasetType = Exclude<IpWorkload['data']['type'], 'random' | 'shared_prefix'>;

/** How inference-perf reads each dataset type's entries on the completion API (`lib/data/dataset-formats.ts`). */
const DATASET_FORMATS: Readonly<Record<DatasetType, string>> = {
  shareGPT: 'first_two_turns',
  billsum_conversations: 'first_two_turns',
  cnn_dailymail: 'cnn_dailymail',
  infinity_instruct: 'infinity_instruct',
};

/**
 * A dataset-file workload as a `sharegpt` source reading entries as inference-perf's generator
 * of that type does (`format`), with inference-perf's length filter: the distributions' `min`/`max`
 * keep or skip a conversation by its prompt and reply token counts (their mean and spread have no
 * effect on a dataset), on the completion API only, as inference-perf applies them
 * (`get_completion_data`; its chat path sends every conversation).
 */
function translateDataset(
  d: IpWorkload['data'],
  seed: number | undefined,
  api: 'completion' | 'chat',
  at: PropertyKey[],
  issues: IssueList,
  note: Note,
  misplaced: (key: 'shared_prefix', usedBy: string) => boolean,
): Record<string, unknown> | undefined {
  const type = d.type as DatasetType;
  const bad = misplaced('shared_prefix', 'shared_prefix');
  const hub = HUB_DATASETS[type];
  if (d.path === undefined) {
    issues.add(
      [...at, 'path'],
      hub === null
        ? `required: inference-perf reads ${type} only from a file too; give the dataset's JSON or JSONL file as data.path`
        : `required: inference-perf downloads ${hub} from Hugging Face; nothing is downloaded here: download it and give its file as data.path`,
    );
    return undefined;
  }
  if (type === 'cnn_dailymail' && api === 'chat') {
    issues.add([...at, 'type'], "cnn_dailymail runs only on the completion API in inference-perf (its generator supports no other): set api.type: completion");
    return undefined;
  }
  if (bad) return undefined;
  const range = (x: IpDistribution | undefined): { min: number; max: number } | undefined => x && { min: x.min, max: x.max };
  const given = d.input_distribution !== undefined || d.output_distribution !== undefined;
  let filter: Record<string, unknown> = {};
  if (api === 'chat') {
    if (given) note('data.input_distribution', null, 'no effect on the chat API: inference-perf filters dataset conversations by length only for completion requests');
    note('data.type', type, "on the chat API inference-perf sends each whole conversation as messages without max_tokens; here the prompt its completion path reads is sent as one user message, max_tokens the reply's token count");
  } else {
    filter = { ...(d.input_distribution ? { input: range(d.input_distribution) } : {}), ...(d.output_distribution ? { output: range(d.output_distribution) } : {}) };
    if (given) note('data.input_distribution', filter, "a length filter on the dataset, as inference-perf's: conversations whose prompt or reply token count is outside min..max are skipped (mean and spread have no effect)");
  }
  // inference-perf streams the file in order, cycling; base_seed does not reorder it.
  return { type: 'sharegpt', path: d.path, format: DATASET_FORMATS[type], order: 'file', length_filter: filter, ...(seed === undefined ? {} : { seed }) };
}

/**
 * An inference-perf distribution as a scenario's: its `type` kept, so it is drawn as inference-perf
 * draws it (`lib/data/length-shapes.ts`; `sampler` says which of its two samplers the data uses).
 */
function distribution(d: IpDistribution, key: string, note: Note, sampler: LengthSampler = 'generate'): Record<string, unknown> {
  let std = d.std_dev ?? d.std ?? (d.variance === undefined ? undefined : Math.sqrt(d.variance));
  if (d.std !== undefined && d.std_dev === undefined) {
    note(`data.${key}.std`, d.std, "read as std_dev, which the file meant (inference-perf's Distribution has no std field: its strict config model refuses the key)");
  }
  if (std === undefined && !['fixed', 'uniform', 'poisson'].includes(d.type)) note(`data.${key}.std_dev`, DEFAULT_STD, "not given: inference-perf's default");
  std ??= DEFAULT_STD;
  if (d.skew !== undefined && d.type !== 'skew_normal') note(`data.${key}.skew`, d.skew, `no effect: skew is only used by skew_normal distributions, and this one is ${d.type}`);
  const skew = d.type === 'skew_normal' && sampler === 'sample' ? { skew: d.skew ?? 0 } : {};
  return { type: d.type, min: d.min, max: d.max, mean: d.mean, std, ...skew };
}
