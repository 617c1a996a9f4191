/**
 * A scenario run as a pipeline of named steps, each in its own file with explicit inputs and
 * outputs: plan (`plan-run.ts`), prepare prompts (`prompts.ts`), run stages (`run-stages.ts`),
 * account (`accounting.ts`), judge (`judge.ts`), then the measured sections, which
 * `assemble-report.ts` turns into the test's report. A distributed run's pod and its merge run
 * the same steps, with a driver (`driver.ts`) supplying what differs.
 */
import { readRunClock } from '../metrics/record.ts';
import type { MeasuredTest, TestReport } from '../report/model.ts';
import { sharedTokenCounter } from '../tokenizer/token-counter.ts';
import type { TokenizerName } from '../tokenizer/tokenizer.ts';
import { RunAccounting } from './accounting.ts';
import { assembleReport } from './assemble-report.ts';
import { driverOf } from './driver.ts';
import { judgeRun, trialJudge } from './judge.ts';
import { planArrivals, planRun } from './plan-run.ts';
import { PromptBuilder } from './prompts.ts';
import { CountedRecords, runStages } from './run-stages.ts';
import type { ScenarioRunInput } from './scenario-input.ts';
import { TraceRecorder } from './trace-report.ts';

export { seedOf, stopRulesOf } from './scenario-input.ts';
export type { ScenarioInput, ScenarioRunInput } from './scenario-input.ts';

/**
 * Runs a scenario: builds its prompts, runs warm-up and each stage of its load, streams every
 * record to `requests.jsonl` as it finishes (and each stage's summary to `stages.jsonl` as it
 * ends), and returns what it measured: statistics overall, per workload cell and per stage,
 * validity, goodput, the stop rule that fired, the knee of a sweep or the capacity a search
 * found, and the configured SLO verdicts.
 */
export async function measureScenario(input: ScenarioRunInput): Promise<MeasuredTest> {
  const { scenario: sc, target } = input;
  const driver = driverOf(input.driver);
  // plan
  const plan = await planRun(input);
  const { load, data, models, definitions, notes } = plan;
  const replay = driver.runLoad !== undefined;
  const counter = plan.countOutput && !replay ? await sharedTokenCounter(data.tokenizer.name as TokenizerName) : null;
  const counted = new CountedRecords();
  if (data.sessions && (driver.share || replay)) {
    throw new Error(`data.type: ${data.type}: multi-turn sessions run in one process; a distributed run (vitest-llm-d launch) cannot split them`);
  }
  if (data.sessions) notes.push(`multi-turn sessions: the load starts sessions (request counts and rates count sessions), each turn sent with its session id in ${data.sessions.header}`);
  const acc = new RunAccounting({
    suite: input.suite, name: input.name, runDir: input.runDir, definitions, cells: data.cells, models,
    profile: input.slo.profiles[0]!, streamed: sc.stream, floors: input.slo.floors, notes,
    ...(driver.stageOpened ? { stageOpened: driver.stageOpened.bind(driver) } : {}),
    ...(data.sessions ? { sessionHeader: data.sessions.header } : {}),
  });
  const share = planArrivals(input, plan, driver, trialJudge(acc, input.slo, sc.stream, () => counted.all()));
  // prepare prompts (stage by stage, as the stages run)
  const prompts = new PromptBuilder({
    data, adapter: plan.adapter, caps: target.caps, stream: sc.stream, models, clampTo: target.maxTokens, warmup: share.warmup, dataIndex: share.dataIndex, replay,
  });
  // run stages, accounting for every record
  const clock = driver.clock ?? readRunClock();
  driver.started?.(clock);
  const trace = data.timing ? new TraceRecorder(data.timing, load.type === 'trace' ? load.speedup : null) : null;
  const stagesInput = trace ? { ...input, requests: trace.tap(input.requests) } : input;
  const outcome = await runStages({ input: stagesInput, plan, share, driver, acc, prompts, clock, counter, counted });
  notes.push(...prompts.notes(target.info.model));
  const finish = driver.finished?.(acc, outcome) ?? { notes: [], sent: 0, absorbed: false };
  notes.push(...finish.notes);
  // judge
  const stats = acc.all.stats();
  const verdict = judgeRun({ load, planner: share.planner, acc, stats, outcome, slo: input.slo, streamed: sc.stream });
  const reports = acc.reports;
  const sessions = acc.sessions?.report();
  return {
    schema: 'vitest-llm-d/test-report@1',
    suite: input.suite,
    scenario: input.name,
    description: sc.description ?? null,
    definitions,
    timestamp: new Date(Date.parse(clock.wallTime) + (outcome.measuredStart - clock.perfMs)).toISOString(),
    target: target.info,
    workload: {
      api: plan.api,
      stream: sc.stream,
      load: share.planner.description,
      loadConfig: { ...load },
      warmupRequests: share.warmup,
      // A trace load sends the trace's requests (its window), num_requests or not.
      requests: load.type === 'trace' ? (share.planner.stages?.[0]?.maxRequests ?? null) : (sc.num_requests ?? null),
      data: { type: data.type, seed: plan.seed, cells: [...data.cells], tokenizer: { ...data.tokenizer }, config: { ...sc.data, seed: plan.seed } },
      overrides: input.overrides,
      notes,
    },
    stats,
    cells: [...acc.perCell].map(([cell, a]) => ({ cell, stats: a.stats() })),
    stages: reports,
    ...((stats.requests.stalled ?? 0) > 0 && !finish.absorbed ? { withoutStalled: acc.unstalled.stats() } : {}),
    ...(models.length > 1 ? { models: [...acc.perModel].map(([model, a]) => ({ model, stats: a.stats() })) } : {}),
    stop: verdict.stop,
    goodput: reports.length === 1 ? reports[0]!.goodput : null,
    run: {
      clock,
      durationS: (outcome.end - outcome.measuredStart) / 1000,
      stopped: outcome.stopped,
      sent: outcome.sent + finish.sent,
      offeredRate: reports.length === 1 ? reports[0]!.offered.rate : null,
      // A merge that absorbed pods' histograms: their sends are in the stages' bookkeeping, not in the replayed records.
      achievedSendRate: finish.absorbed ? acc.sendRate() : outcome.achievedSendRate,
      eventLoopDelayMs: outcome.eventLoopDelayMs,
      ...(outcome.stalls ? { stalls: outcome.stalls } : {}),
      priority: outcome.priority,
    },
    validity: verdict.validity,
    slo: verdict.slo,
    files: { requests: 'requests.jsonl', stages: 'stages.jsonl' },
    runDir: input.runDir,
    ...(verdict.knee ? { knee: verdict.knee } : {}),
    ...(verdict.capacity ? { capacity: verdict.capacity } : {}),
    ...(trace ? { trace: trace.report() } : {}),
    ...(sessions ? { sessions } : {}),
  };
}

/** Runs a scenario and assembles its report from what it measured (`measureScenario`). */
export async function runScenario(input: ScenarioRunInput): Promise<TestReport> {
  return assembleReport({ measured: await measureScenario(input) });
}
