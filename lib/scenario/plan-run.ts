/**
 * The "plan" step of a scenario run: everything decided before the first request: the load,
 * the API and its adapter, the prompt source and its seed, the models sent to, the latency
 * definitions, the arrival schedule (the whole load's planner, or this process's share from the
 * driver), the warm-up, and the notes these decisions leave in the report.
 */
import type { ApiAdapter } from '../apis/adapter.ts';
import { API_ADAPTERS } from '../apis/index.ts';
import { LoadSchema } from '../config/schema/load.ts';
import { createDataSource } from '../data/index.ts';
import type { DataSource } from '../data/source.ts';
import { type LoadConfig, planLoad } from '../load/registry.ts';
import type { TrialJudge } from '../load/search.ts';
import { DEFAULT_DEFINITIONS, type Definitions } from '../metrics/derive.ts';
import type { ScenarioDriver, LoadShare } from './driver.ts';
import { modelsOf, type ScenarioRunInput, seedOf } from './scenario-input.ts';

/** What a run was planned to be: the "plan" step's output. */
export interface RunPlan {
  load: LoadConfig;
  api: 'completions' | 'chat';
  adapter: ApiAdapter;
  /** The prompt seed (the data config's, or one from the run's salt and the test's name). */
  seed: number;
  data: DataSource;
  models: string[];
  definitions: Definitions;
  /** Count output text with the tokenizer (see `countOutput`). */
  countOutput: boolean;
  /** The report's workload notes so far; later steps add theirs. */
  notes: string[];
}

/** Reads the scenario and builds its prompt source (prompts are built later, stage by stage). */
export async function planRun(input: ScenarioRunInput): Promise<RunPlan> {
  const { scenario: sc, target, name } = input;
  const load = LoadSchema.parse(sc.load);
  const api = sc.api ?? target.defaultApi;
  const notes: string[] = [];
  const seed = sc.data.seed ?? seedOf(`${input.seedSalt}/${input.suite}/${name}`);
  const data = await createDataSource({ ...sc.data, seed }, { model: target.info.model, tokenizer: target.tokenizer, api, warmupRequests: sc.warmup_requests });
  if (data.timing && load.type !== 'trace') {
    notes.push(`trace sent with a ${load.type} load: its requests in the trace's order, its timestamps ignored (load.type: trace sends them at the trace's times)`);
  }
  const models = modelsOf(sc.models, target.info.model, target.info.servedModels, notes);
  return {
    load,
    api,
    adapter: API_ADAPTERS[api],
    seed,
    data,
    models,
    definitions: sc.definitions ?? DEFAULT_DEFINITIONS,
    // Count output text when the tokenizer is the model's own (to check the server's usage), or
    // when the server will not report usage (the count is then the only one, and flagged as such).
    countOutput: data.tokenizer.exact || !target.caps.include_usage,
    notes,
  };
}

/**
 * The arrival schedule this process runs: the whole load's (random arrivals get their own seed
 * from the same salt as the prompts; a config seed pins them), or the driver's share of it.
 * `judge` judges a capacity search's trials.
 */
export function planArrivals(input: ScenarioRunInput, plan: RunPlan, driver: ScenarioDriver, judge: TrialJudge): LoadShare {
  const { scenario: sc, target } = input;
  const seed = seedOf(`${input.seedSalt}/${input.suite}/${input.name}/arrivals`);
  const whole = () => planLoad(plan.load, { seed, numRequests: sc.num_requests, judge, trace: plan.data.timing });
  const share = driver.share?.(plan.load, { seed, numRequests: sc.num_requests, warmup: sc.warmup_requests, whole }) ?? { planner: whole(), warmup: sc.warmup_requests, dataIndex: (i: number) => i, note: null };
  if (share.note) plan.notes.push(`distributed: ${share.note}`);
  if (target.http.tls?.insecureSkipVerify && target.http.origin.startsWith('https:')) {
    plan.notes.push('TLS CERTIFICATE VERIFICATION WAS OFF (tls.insecure_skip_verify): the server was not authenticated');
  }
  return share;
}
