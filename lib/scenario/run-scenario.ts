import { API_ADAPTERS } from '../apis/index.ts';
import type { Data } from '../config/schema/data.ts';
import { createDataSource } from '../data/index.ts';
import type { TimeoutsMs } from '../http/target.ts';
import { createSchedule, type LoadConfig } from '../load/registry.ts';
import { runLoad } from '../load/runner.ts';
import { StatsAccumulator } from '../metrics/aggregate.ts';
import { readRunClock } from '../metrics/record.ts';
import type { TestReport } from '../report/model.ts';
import type { RequestsFile } from '../report/requests-file.ts';
import { evaluateSlo } from '../slo/evaluate.ts';
import type { SloFloors, SloProfile } from '../slo/profile.ts';
import { sharedTokenCounter } from '../tokenizer/token-counter.ts';
import type { TokenizerName } from '../tokenizer/tokenizer.ts';
import type { OpenTarget } from './open-target.ts';
import { assessValidity } from './validity.ts';

/** The parts of a scenario config (`lib/config/schema/scenario.ts`) a run uses. */
export interface ScenarioInput {
  description?: string | undefined;
  api?: 'completions' | 'chat' | undefined;
  stream: boolean;
  num_requests: number;
  warmup_requests: number;
  load: LoadConfig;
  data: Data;
}

/** One scenario run of one test. */
export interface ScenarioRunInput {
  suite: string;
  name: string;
  scenario: ScenarioInput;
  target: OpenTarget;
  /** The SLO profiles to evaluate right away (the scenario's configured ones) and the run-level floors. */
  slo: { profiles: SloProfile[]; floors: SloFloors };
  timeouts: TimeoutsMs;
  runDir: string;
  requests: RequestsFile;
  overrides: Array<{ path: string; value: unknown; source: string }>;
  signal?: AbortSignal;
  /**
   * Mixed with the scenario name into the prompt seed when the data config sets none, so two runs
   * (or two scenarios) never send the same prompts and a server's prefix cache cannot make a
   * later run look faster. A config `seed` pins the prompts instead (for exact repeats).
   */
  seedSalt: string;
}

/** 32-bit FNV-1a of a string: a stable seed from a name. */
function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Runs a scenario: builds its prompts, runs warm-up and measured load, streams every record to
 * `requests.jsonl` as it finishes, and returns the test's report with statistics (overall and per
 * workload cell), the run's validity and the configured SLO verdicts.
 */
export async function runScenario(input: ScenarioRunInput): Promise<TestReport> {
  const { scenario: sc, target, name } = input;
  const api = sc.api ?? target.defaultApi;
  const adapter = API_ADAPTERS[api];
  const notes: string[] = [];
  const seed = sc.data.seed ?? seedOf(`${input.seedSalt}/${input.suite}/${name}`);
  const data = await createDataSource({ ...sc.data, seed }, { model: target.info.model, tokenizer: target.tokenizer });
  await data.prepare(sc.warmup_requests + sc.num_requests);
  // Count output text when the tokenizer is the model's own (to check the server's usage), or
  // when the server will not report usage (the count is then the only one, and flagged as such).
  // Counting runs on a worker thread: tokenizing here would delay the chunk timestamps.
  const countOutput = data.tokenizer.exact || !target.caps.include_usage;
  const counter = countOutput ? await sharedTokenCounter(data.tokenizer.name as TokenizerName) : null;
  let pending = 0;
  let drained: (() => void) | null = null;
  const clampTo = target.maxTokens;
  const clamped = new Set<number>();

  const all = new StatsAccumulator();
  const perCell = new Map<string, StatsAccumulator>(data.cells.map((c) => [c, new StatsAccumulator()]));
  // Random arrivals get their own seed from the same salt as the prompts (a config seed pins them).
  const schedule = createSchedule(sc.load, { seed: seedOf(`${input.seedSalt}/${input.suite}/${name}/arrivals`) });
  const clock = readRunClock();

  const outcome = await runLoad({
    target: target.http,
    adapter,
    model: target.info.model,
    stream: sc.stream,
    schedule,
    warmup: sc.warmup_requests,
    requests: sc.num_requests,
    timeouts: input.timeouts,
    clock,
    requestIdPrefix: `${input.suite}-${name}-${clock.hrtimeUs.toString(36)}`,
    keepText: countOutput,
    signal: input.signal,
    request(i) {
      const p = data.get(i);
      let maxTokens = p.maxTokens;
      if (clampTo !== null && maxTokens > clampTo) {
        clamped.add(maxTokens);
        maxTokens = clampTo;
      }
      const body = adapter.body({ model: target.info.model, prompt: p.text, maxTokens, stream: sc.stream }, target.caps);
      return { body, cell: p.cell, promptTokens: p.tokens, maxTokens };
    },
    onRecord(r, text) {
      const record = (): void => {
        const m = all.add(r);
        perCell.get(r.cell)?.add(r);
        input.requests.append(name, clock, r, m);
      };
      if (!counter || !text) return record();
      pending++;
      void counter.count(text).then((n) => {
        r.tokenizerOutputTokens = n;
        record();
        if (--pending === 0) drained?.();
      });
    },
  });
  if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));

  for (const m of clamped) notes.push(`max_tokens ${m} clamped to the target's max_tokens ${clampTo}`);
  if (!data.tokenizer.exact) {
    notes.push(`prompt sizes counted with the ${data.tokenizer.name} tokenizer, not ${target.info.model}'s own: approximate on the server (see input tokens from usage)`);
  }
  const stats = all.stats();
  const offeredRate = schedule.kind === 'open' ? schedule.offeredRate : null;
  const validity = assessValidity(stats, outcome, offeredRate, input.slo.floors.maxScheduleLagP99Ms);
  return {
    schema: 'vitest-llm-d/test-report@1',
    suite: input.suite,
    scenario: name,
    description: sc.description ?? null,
    timestamp: new Date(Date.parse(clock.wallTime) + (outcome.measuredStart - clock.perfMs)).toISOString(),
    target: target.info,
    workload: {
      api,
      stream: sc.stream,
      load: schedule.description,
      loadConfig: { ...sc.load },
      warmupRequests: sc.warmup_requests,
      requests: sc.num_requests,
      data: { type: data.type, seed, cells: [...data.cells], tokenizer: { ...data.tokenizer } },
      overrides: input.overrides,
      notes,
    },
    stats,
    cells: [...perCell].map(([cell, acc]) => ({ cell, stats: acc.stats() })),
    run: {
      clock,
      durationS: (outcome.end - outcome.measuredStart) / 1000,
      stopped: outcome.stopped,
      sent: outcome.sent,
      offeredRate,
      achievedSendRate: outcome.achievedSendRate,
      eventLoopDelayMs: outcome.eventLoopDelayMs,
      priority: outcome.priority,
    },
    validity,
    slo: input.slo.profiles.map((p) => evaluateSlo(p, stats, input.slo.floors)),
    files: { requests: 'requests.jsonl' },
    runDir: input.runDir,
  };
}
