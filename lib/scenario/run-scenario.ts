import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { scrubValue } from '../config/secrets.ts';
import { API_ADAPTERS } from '../apis/index.ts';
import type { Data } from '../config/schema/data.ts';
import { isMultiStage, LoadSchema } from '../config/schema/load.ts';
import type { Retry, StopRules } from '../config/schema/scenario.ts';
import { createDataSource } from '../data/index.ts';
import type { TimeoutsMs } from '../http/target.ts';
import type { ResponseLimits } from '../config/schema/limits.ts';
import { findKnee } from '../load/knee.ts';
import { type LoadConfig, type LoadConfigInput, planLoad } from '../load/registry.ts';
import { type LoadOutcome, type RequestSpec, type RetryPolicy, runLoad, type RunnerOptions, type StopRulesConfig } from '../load/runner.ts';
import { globalIndex, shareOf } from '../distributed/split.ts';
import { appendShareLine, recordedTargetOf, type ScenarioShare, type StageSync } from '../distributed/share-run.ts';
import { absorbStage, appendStatsLine, type ScenarioStatsLine, scenarioStatsLine, STATS_FILE } from '../distributed/scenario-stats.ts';
import type { SearchPlanner, TrialJudge } from '../load/search.ts';
import { phaseAt, rateOver, type StageOutcome, type StagePlan } from '../load/stage.ts';
import { StatsAccumulator } from '../metrics/aggregate.ts';
import { DEFAULT_DEFINITIONS, type Definitions } from '../metrics/derive.ts';
import { DEFAULT_EXACT_CAP } from '../stats/sample-store.ts';
import { readRunClock, type RequestRecord, type RunClock } from '../metrics/record.ts';
import type { StageReport, StopReport, TestReport } from '../report/model.ts';
import type { ProgressCounters } from '../progress/progress.ts';
import { progressFromEnv, type ProgressHook } from '../progress/channel.ts';
import type { RequestsFile } from '../run-folder/requests-file.ts';
import { evaluateSlo, failedChecks } from '../slo/evaluate.ts';
import { GoodputCounter } from '../slo/goodput.ts';
import type { SloFloors, SloProfile } from '../slo/profile.ts';
import { sharedTokenCounter } from '../tokenizer/token-counter.ts';
import type { TokenizerName } from '../tokenizer/tokenizer.ts';
import type { OpenTarget } from './open-target.ts';
import { assessValidity, testValidity } from './validity.ts';

/** The parts of a scenario config (`lib/config/schema/scenario.ts`) a run uses. */
export interface ScenarioInput {
  description?: string | undefined;
  api?: 'completions' | 'chat' | undefined;
  stream: boolean;
  /** Measured requests per stage; may be absent when the load has a duration. */
  num_requests?: number | undefined;
  warmup_requests: number;
  load: LoadConfigInput;
  /** Stop rules; absent: on with defaults for multi-stage loads, off otherwise. */
  stop?: StopRules | undefined;
  /** Models to send to in turn (`served`: every model the target lists); default the target's model. */
  models?: 'served' | string[] | undefined;
  /** Retries of routing errors; absent: none. */
  retry?: Retry | undefined;
  data: Data;
  /** Where the per-request latencies start and stop; absent: `vitest-llm-d`. */
  definitions?: Definitions | undefined;
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
  /** Response size limits; default the target's. */
  limits?: ResponseLimits;
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
  /**
   * Live progress (`lib/progress/channel.ts`): read on a timer, never per request. Default:
   * on when the progress reporter's socket is in the environment (a terminal, not CI); null: off.
   */
  progress?: ProgressHook | null;
  /**
   * A pod's share of a distributed run (`BENCH_SHARE`): it sends only its requests of the one
   * schedule (`shareOf`), records them under their global index, and starts each stage at the
   * pods' common instant. Search loads cannot be split (the caller runs them whole in pod 0).
   */
  share?: ScenarioShare;
  /**
   * Runs the load instead of `runLoad`: a merged run replays the pods' records through the same
   * accounting (`lib/distributed/replay-load.ts`), so its report is built by this very code.
   * With a driver no prompts are built and no output is tokenized (the records carry the counts).
   */
  driver?: (options: RunnerOptions) => Promise<LoadOutcome>;
  /** Clock anchor of the run (a merged run: the reference pod's); default read at the start. */
  clock?: RunClock;
  /**
   * Statistics of requests that are not replayed (a merged run: the stats lines of pods whose
   * records did not arrive intact, `lib/distributed/scenario-stats.ts`), absorbed into every
   * accumulator (the whole, each stage, cell and model), their times moved by `shiftMs` onto
   * this run's clock. Percentiles are then within the lines' histogram bound (the summaries say so).
   */
  absorb?: ReadonlyArray<{ line: ScenarioStatsLine; shiftMs: number }>;
}

/** 32-bit FNV-1a of a string: a stable seed from a name (prompts and arrivals; a launch checks splits with it too). */
export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Exact samples a metric keeps per stage, and per cell or model when there are n of them, before
 * folding into a histogram (percentiles then within 0.1%, and the summary says so): the whole
 * test keeps `DEFAULT_EXACT_CAP` (2^18); the breakdowns share about as much again, so memory stays
 * bounded however long the run (issue 4: < 100 MB per million requests).
 */
const STAGE_CAP = 2 ** 16;
const subCap = (n: number): number => Math.max(2 ** 14, Math.floor(DEFAULT_EXACT_CAP / Math.max(1, n)));

/** Default stop rules, applied to multi-stage loads when the scenario sets none. */
const DEFAULT_STOP: StopRulesConfig = { errorRate: 0.05, latencyP95Ms: 10_000, latencyMetric: 'e2e', minRequests: 20 };

/** The stop rules a scenario runs with: its own, the defaults for multi-stage loads, or none. */
export function stopRulesOf(stop: StopRules | undefined, load: LoadConfig): StopRulesConfig | null {
  if (stop === false) return null;
  if (stop === undefined) return isMultiStage(load) ? DEFAULT_STOP : null;
  return { errorRate: stop.error_rate, latencyP95Ms: stop.latency_p95_s * 1000, latencyMetric: stop.latency_metric, minRequests: stop.min_requests };
}

/** Requests a stage is expected to send, to build prompts ahead; the run builds more if it needs them. */
function stageBudget(p: StagePlan): number {
  const seconds = p.durationMs === null ? null : p.durationMs / 1000;
  const estimate =
    seconds === null
      ? Infinity
      : p.schedule.kind === 'open'
        ? Math.ceil((p.schedule.offeredRate ?? 100) * seconds * 1.2) + 16
        : // A closed loop sends about concurrency / latency requests a second; one a second per
          // user assumes a request takes about a second (LLM answers rarely take less). More are
          // built in the background if the stage needs them.
          p.schedule.concurrency * Math.ceil(seconds) + 16;
  return Math.min(p.maxRequests ?? Infinity, estimate);
}

/** One reported stage while it runs: its statistics, goodput and sends. */
interface StageAcc {
  label: string;
  description: string;
  offered: { rate: number | null; concurrency: number | null };
  probe?: { value: number; trial: number };
  stats: StatsAccumulator;
  goodput: GoodputCounter;
  sent: number;
  firstSend: number;
  lastSend: number;
  /** Intended times of the first and last request sent: the rate the schedule called for. */
  firstIntended: number;
  lastIntended: number;
  cut: number;
  /** Failed requests (cut ones excepted) among `sent`: the progress line's error count. */
  failed: number;
}

/**
 * Runs a scenario: builds its prompts, runs warm-up and each stage of its load, streams every
 * record to `requests.jsonl` as it finishes (and each stage's summary to `stages.jsonl` as it
 * ends), and returns the test's report: statistics overall, per workload cell and per stage,
 * validity, goodput, the stop rule that fired, the knee of a sweep or the capacity a search
 * found, and the configured SLO verdicts.
 */
export async function runScenario(input: ScenarioRunInput): Promise<TestReport> {
  const { scenario: sc, target, name } = input;
  const load = LoadSchema.parse(sc.load);
  const api = sc.api ?? target.defaultApi;
  const adapter = API_ADAPTERS[api];
  const notes: string[] = [];
  const seed = sc.data.seed ?? seedOf(`${input.seedSalt}/${input.suite}/${name}`);
  const data = await createDataSource({ ...sc.data, seed }, { model: target.info.model, tokenizer: target.tokenizer, api });
  // Count output text when the tokenizer is the model's own (to check the server's usage), or
  // when the server will not report usage (the count is then the only one, and flagged as such).
  // Counting runs on a worker thread: tokenizing here would delay the chunk timestamps.
  const countOutput = data.tokenizer.exact || !target.caps.include_usage;
  const replay = input.driver !== undefined;
  const counter = countOutput && !replay ? await sharedTokenCounter(data.tokenizer.name as TokenizerName) : null;
  let pending = 0;
  let drained: (() => void) | null = null;
  const allCounted = (): Promise<void> | void => {
    if (pending > 0) return new Promise<void>((resolve) => (drained = resolve));
  };
  const clampTo = target.maxTokens;
  const clamped = new Set<number>();
  const profile = input.slo.profiles[0]!;
  const models = modelsOf(sc.models, target.info.model, target.info.servedModels, notes);
  const definitions = sc.definitions ?? DEFAULT_DEFINITIONS;
  const perModel = new Map<string, StatsAccumulator>(models.map((m) => [m, new StatsAccumulator(undefined, { exactCap: subCap(models.length) }, definitions)]));

  const absorbed = input.absorb ?? [];
  const all = new StatsAccumulator(undefined, {}, definitions);
  const perCell = new Map<string, StatsAccumulator>(data.cells.map((c) => [c, new StatsAccumulator(undefined, { exactCap: subCap(data.cells.length) }, definitions)]));
  /** The measured requests no stall of the measuring thread overlapped (`RequestRecord.stall`). */
  const unstalled = new StatsAccumulator(undefined, { exactCap: STAGE_CAP }, definitions);
  /** Reported stages, and where each runner stage's phases start among them. */
  const stages: StageAcc[] = [];
  const reports: StageReport[] = [];
  const firstReported: number[] = [];
  const stageStart: number[] = [];
  const addStage = (label: string, description: string, offered: StageAcc['offered'], probe?: StageAcc['probe']): void => {
    stages.push({
      label, description, offered, ...(probe ? { probe } : {}), stats: new StatsAccumulator(undefined, { exactCap: STAGE_CAP }, definitions), goodput: new GoodputCounter(profile, { streamed: sc.stream }),
      sent: 0, firstSend: Infinity, lastSend: -Infinity, firstIntended: Infinity, lastIntended: -Infinity, cut: 0, failed: 0,
    });
    // Each reported stage is the same in every pod (one plan): a stats line's stage k joins stage k as it is created.
    const k = stages.length - 1;
    for (const a of absorbed) {
      const s = a.line.stages[k];
      if (s) absorbStage(stages[k]!, s, a.shiftMs);
    }
  };
  const reportedIndex = (r: RequestRecord): number | null => {
    if (r.stage === null) return null;
    const base = firstReported[r.stage]!;
    const plan = plans[r.stage]!;
    return base + phaseAt(plan, stageStart[r.stage]!, r.intended);
  };

  // Random arrivals get their own seed from the same salt as the prompts (a config seed pins them).
  const judge: TrialJudge = async (outcome) => {
    await allCounted();
    const acc = stages[firstReported[outcome.index]!]!;
    const stats = acc.stats.stats();
    // Against the rate the schedule called for over the requests sent, as the stage report is: a
    // short Poisson trial's arrivals may fall short of its mean rate by chance (3 in 5 s at 1/s).
    const validity = assessValidity(stats, { ...outcome, achievedSendRate: outcome.achievedSendRate }, scheduledRate(acc), input.slo.floors.maxScheduleLagP99Ms, input.slo.floors.maxStalledShare);
    const evals = input.slo.profiles.map((p) => evaluateSlo(p, stats, input.slo.floors, { streamed: sc.stream }));
    const reasons = [
      ...evals.flatMap((e) => failedChecks(e).map((c) => `${c.name} ${c.value === null ? 'n/a' : round3(c.value)} ${c.unit} (limit ${c.op} ${c.limit})`)),
      ...(outcome.stopRule ? [`stop rule: ${outcome.stopRule.detail}`] : []),
      ...validity.reasons.map((r) => `invalid: ${r}`),
    ];
    // Invalid alone (every SLO met, no rule fired): the client, not the server, fell short.
    const serverFailed = evals.some((e) => failedChecks(e).some((c) => !c.name.startsWith('schedule lag'))) || outcome.stopRule !== null;
    return { passed: reasons.length === 0, reasons, invalid: !validity.valid && !serverFailed };
  };
  const arrivalSeed = seedOf(`${input.seedSalt}/${input.suite}/${name}/arrivals`);
  // A pod's share: the same arrivals (same seed) filtered to its global indices, its slots of the concurrency.
  const slot = input.share?.slot ?? null;
  // A search load is never split: the pod given it (pod 0, slot 0 of 1) runs it whole, and records that it did.
  const share = slot && load.type !== 'search' ? shareOf(load, { seed: arrivalSeed, numRequests: sc.num_requests, warmup: sc.warmup_requests }, slot) : null;
  const shareLine = slot && { index: slot.index, count: slot.count, description: share?.description ?? `pod ${slot.index + 1}: the whole search (a search load cannot be split)` };
  const planner = share ? share.planner : planLoad(load, { seed: arrivalSeed, numRequests: sc.num_requests, judge });
  const warmup = share ? share.warmup : sc.warmup_requests;
  /** The data (and model rotation) index of the runner's request i: the global index in a pod's share. */
  const dataIndex = slot ? (i: number): number => globalIndex(slot, i) : (i: number): number => i;
  const syncs: StageSync[] = [];
  if (share) notes.push(`distributed: ${share.description}`);
  if (target.http.tls?.insecureSkipVerify && target.http.origin.startsWith('https:')) {
    notes.push('TLS CERTIFICATE VERIFICATION WAS OFF (tls.insecure_skip_verify): the server was not authenticated');
  }
  const plans: StagePlan[] = [];

  // Prompts are built between stages, for the stage about to run (its request count, or an
  // estimate from its rate or concurrency and duration), so building never competes with
  // measuring. A stage that sends more than estimated (a duration-bounded closed loop cannot know
  // its count) gets more built in the background as it nears the end of what is built; a send
  // that catches up waits, and the wait shows as schedule lag.
  const headroom = 256;
  let prepared = 0;
  let highestIndex = -1;
  let extending: Promise<void> | null = null;
  let builtDuringRun = 0;
  let measuring = false;
  /** The stage running has all its prompts built (a count-bounded stage): nothing to build during it. */
  let covered = false;
  const extend = (to: number): Promise<void> => {
    // Prompts 0..to-1 of this process are data indices up to dataIndex(to - 1): a pod builds the others' too (not sent).
    extending ??= data.prepare(to === 0 ? 0 : dataIndex(to - 1) + 1).then(() => {
      if (measuring) builtDuringRun += to - prepared;
      prepared = to;
      extending = null;
    });
    return extending;
  };
  const prepareFor = async (plan: StagePlan, first: boolean): Promise<void> => {
    if (replay) return;
    const exact = plan.durationMs === null && plan.maxRequests !== null;
    const need = (first ? warmup : highestIndex + 1) + Math.min(stageBudget(plan), 100_000) + (exact ? 0 : headroom);
    while (extending) await extending;
    if (need > prepared) {
      measuring = false;
      await extend(need);
    }
    covered = exact;
    measuring = true;
  };
  const clock = input.clock ?? readRunClock();
  if (shareLine) appendShareLine(input.runDir, { kind: 'share', suite: input.suite, scenario: name, index: shareLine.index, count: shareLine.count, share: shareLine.description, clock, target: recordedTargetOf(target) });
  const stagesFile = join(input.runDir, 'stages.jsonl');
  const progress = input.progress === undefined ? progressFromEnv() : input.progress;
  const stopProgress = progress?.(`${input.suite}/${name}`, () => progressOf(planner.plannedStages));
  const outcome = await (input.driver ?? runLoad)({
    target: target.http,
    adapter,
    model: target.info.model,
    stream: sc.stream,
    plan: {
      description: planner.description,
      plannedStages: planner.plannedStages,
      next: async (done) => {
        const last = done.at(-1);
        if (last) {
          await allCounted();
          finishStage(last);
        }
        const plan = await planner.next(done);
        if (plan) {
          await prepareFor(plan, !last);
          plans.push(plan);
          firstReported.push(stages.length);
          if (plan.phases) for (const ph of plan.phases) addStage(ph.label, ph.description, ph.offered);
          else addStage(plan.label, plan.description, plan.offered, plan.probe);
        }
        return plan;
      },
    },
    onStageStart(index, start) {
      stageStart[index] = start;
    },
    ...(input.share ? {
      async beforeStage(index: number) {
        syncs[index] = await input.share!.sync(`${input.suite}/${name}/stage-${index}`);
      },
      seqOf: dataIndex,
    } : {}),
    warmup,
    stopRules: stopRulesOf(sc.stop, load),
    retry: retryPolicyOf(sc.retry),
    timeouts: input.timeouts,
    ...(input.limits ? { limits: input.limits } : {}),
    clock,
    requestIdPrefix: `${input.suite}-${name}-${clock.hrtimeUs.toString(36)}`,
    keepText: countOutput,
    signal: input.signal,
    stallLimitMs: input.slo.floors.maxScheduleLagP99Ms,
    request(i) {
      if (i > highestIndex) highestIndex = i;
      if (!covered && i + headroom >= prepared && !extending) void extend(Math.max(prepared * 2, i + 2 * headroom));
      if (i >= prepared) return (async () => {
        while (i >= prepared) await extend(Math.max(prepared * 2, i + 2 * headroom));
        return spec(i);
      })();
      return spec(i);
    },
    onRecord(r, text) {
      const record = (): void => {
        const m = all.add(r);
        if (!r.stall) unstalled.add(r);
        perCell.get(r.cell)?.add(r);
        if (models.length > 1) perModel.get(r.model)?.add(r);
        const k = reportedIndex(r);
        if (k !== null) {
          const acc = stages[k]!;
          r.stage = k;
          acc.stats.add(r);
          if (m) acc.goodput.add(m);
          if (r.error?.class === 'cut') acc.cut++;
          const sentAt = r.retries?.[0]?.sent ?? r.sent;
          if (sentAt !== null) {
            acc.sent++;
            if (r.error && r.error.class !== 'cut') acc.failed++;
            if (sentAt < acc.firstSend) acc.firstSend = sentAt;
            if (sentAt > acc.lastSend) acc.lastSend = sentAt;
            if (r.intended < acc.firstIntended) acc.firstIntended = r.intended;
            if (r.intended > acc.lastIntended) acc.lastIntended = r.intended;
          }
        }
        input.requests.append(name, clock, r, m, definitions);
      };
      if (!counter || !text) return record();
      pending++;
      void counter.count(text).then((n) => {
        r.tokenizerOutputTokens = n;
        record();
        if (--pending === 0) drained?.();
      });
    },
  }).finally(() => stopProgress?.());
  await allCounted();
  const last = outcome.stages.at(-1);
  if (last && reports.length < stages.length) finishStage(last);
  // Idle pauses between stages are no part of the run's measurement window (nor of a stage's, which starts after its pause).
  for (const o of outcome.stages) {
    if (o.pause) for (const acc of [all, unstalled, ...perCell.values(), ...perModel.values()]) acc.excludeIdle(o.pause.from, o.start);
  }

  function spec(local: number): RequestSpec {
    const i = dataIndex(local);
    const p = data.get(i);
    let maxTokens = p.maxTokens;
    if (clampTo !== null && maxTokens > clampTo) {
      clamped.add(maxTokens);
      maxTokens = clampTo;
    }
    const model = models[i % models.length]!;
    const body = adapter.body({ model, prompt: p.text, maxTokens, stream: sc.stream }, target.caps);
    return { body, cell: p.cell, promptTokens: p.tokens, maxTokens, model };
  }

  /** Reports the stages of a finished runner stage and appends them to `stages.jsonl`. */
  function finishStage(o: StageOutcome): void {
    // A pod's stage start, written once the stage is over: a write as it starts would delay its first sends.
    if (shareLine) appendShareLine(input.runDir, { kind: 'stage', suite: input.suite, scenario: name, index: shareLine.index, stage: o.index, start_ms: o.start - clock.perfMs, sync: syncs[o.index] ?? null });
    const from = firstReported[o.index]!;
    const to = o.index + 1 < firstReported.length ? firstReported[o.index + 1]! : stages.length;
    for (let k = from; k < to; k++) {
      const acc = stages[k]!;
      const stats = acc.stats.stats();
      const achieved = rateOver(acc.sent, acc.firstSend, acc.lastSend);
      // The rate the schedule called for over the same requests: what the client must keep up with.
      const scheduled = scheduledRate(acc);
      const single = to - from === 1;
      const validity = assessValidity(
        stats,
        { eventLoopDelayMs: o.eventLoopDelayMs, achievedSendRate: achieved, stopped: o.stopped, stalls: o.stalls },
        scheduled,
        input.slo.floors.maxScheduleLagP99Ms,
        input.slo.floors.maxStalledShare,
      );
      const rep: StageReport = {
        index: k,
        label: acc.label,
        description: acc.description,
        offered: acc.offered,
        ...(acc.probe ? { probe: acc.probe } : {}),
        ...(o.pause && k === from ? { pause: { plannedS: o.pause.plannedMs / 1000, idleS: (o.start - o.pause.from) / 1000 } } : {}),
        durationS: stats.window.durationMs / 1000,
        sent: acc.sent,
        cut: acc.cut,
        achievedSendRate: achieved,
        eventLoopDelayMs: o.eventLoopDelayMs,
        ...(o.stalls ? { stalls: o.stalls } : {}),
        stats,
        validity,
        // A rule that ended a phased stage is reported on the phase it fired in: the last with requests.
        stopRule: o.stopRule && (single || k === lastWithRequests(from, to)) ? o.stopRule : null,
        goodput: acc.goodput.result(stats.window.durationMs),
      };
      reports.push(rep);
      try {
        appendFileSync(stagesFile, `${JSON.stringify(scrubValue({ suite: input.suite, scenario: name, ...rep }))}\n`);
      } catch (err) {
        notes.push(`stages.jsonl could not be written: ${(err as Error).message}`);
      }
    }
  }
  /** The run's state for the progress line, from the counters the stages keep anyway. */
  function progressOf(planned: number | null): ProgressCounters {
    const k = plans.length - 1;
    const plan = plans[k];
    const start = stageStart[k];
    if (!plan || start === undefined) {
      const phase = k === 0 && warmup > 0 ? 'warm-up' : 'preparing';
      return { phase, stage: null, stageNumber: Math.max(1, k + 1), stages: planned, done: 0, total: null, errors: 0, startedAt: null, durationMs: null };
    }
    const from = firstReported[k]!;
    let done = 0;
    let errors = 0;
    for (let j = from; j < stages.length; j++) {
      done += stages[j]!.sent;
      errors += stages[j]!.failed;
    }
    const phase = phaseAt(plan, start, performance.now());
    const label = plan.phases ? stages[from + phase]?.label ?? plan.label : plan.label;
    return { phase: 'stage', stage: label, stageNumber: k + 1, stages: planned, done, total: plan.maxRequests, errors, startedAt: start, durationMs: plan.durationMs };
  }
  function lastWithRequests(from: number, to: number): number {
    for (let k = to - 1; k > from; k--) if (stages[k]!.sent > 0) return k;
    return from;
  }

  for (const m of clamped) notes.push(`max_tokens ${m} clamped to the target's max_tokens ${clampTo}`);
  if (data.tokenizer.note) notes.push(data.tokenizer.note);
  if (!data.tokenizer.exact) {
    notes.push(`prompt sizes counted with the ${data.tokenizer.name} tokenizer, not ${target.info.model}'s own: approximate on the server (see input tokens from usage)`);
  }
  const said = data.summary?.();
  if (said) notes.push(said);
  if (builtDuringRun > 0) {
    notes.push(`${builtDuringRun} prompts were built during the run (it sent more than estimated); their cost shows in event-loop delay and schedule lag`);
  }
  // A pod's statistics in mergeable form, for a merge that does not get its records intact.
  if (shareLine) {
    try {
      appendStatsLine(input.runDir, scenarioStatsLine({ suite: input.suite, scenario: name, index: shareLine.index, sent: outcome.sent, all, stages, cells: perCell, models: models.length > 1 ? perModel : new Map() }));
    } catch (err) {
      notes.push(`${STATS_FILE} could not be written: ${(err as Error).message}`);
    }
  }
  let sent = outcome.sent;
  for (const a of absorbed) {
    all.absorb(a.line.all, a.shiftMs);
    for (const [cell, e] of Object.entries(a.line.cells)) perCell.get(cell)?.absorb(e, a.shiftMs);
    if (models.length > 1) for (const [model, e] of Object.entries(a.line.models)) perModel.get(model)?.absorb(e, a.shiftMs);
    sent += a.line.sent;
  }
  const stats = all.stats();
  const single = reports.length === 1;
  const offeredRate = single ? reports[0]!.offered.rate : null;
  // Invalid when any measured stage is; a search's trials it ran again for being invalid are not counted (their reruns are).
  const rerun = load.type === 'search' ? new Set((planner as SearchPlanner).result().probes.flatMap((p) => p.rerun.map((x) => firstReported[x.stage]!))) : undefined;
  const validity = reports.length > 0
    ? testValidity(reports, outcome.stopped, rerun)
    : assessValidity(stats, outcome, null, input.slo.floors.maxScheduleLagP99Ms, input.slo.floors.maxStalledShare);
  // In a search a rule only fails the trial it fired in (its reasons say so); the search goes on.
  const hit = load.type === 'search' ? -1 : reports.findIndex((r) => r.stopRule);
  const stop: StopReport | null =
    hit < 0
      ? null
      : {
          stage: reports[hit]!.label,
          rule: reports[hit]!.stopRule!.rule,
          detail: reports[hit]!.stopRule!.detail,
          lastGood: hit > 0 ? reports[hit - 1]!.label : null,
          skipped: planner.plannedStages === null ? null : Math.max(0, planner.plannedStages - outcome.stages.length),
        };
  const report: TestReport = {
    schema: 'vitest-llm-d/test-report@1',
    suite: input.suite,
    scenario: name,
    description: sc.description ?? null,
    definitions,
    timestamp: new Date(Date.parse(clock.wallTime) + (outcome.measuredStart - clock.perfMs)).toISOString(),
    target: target.info,
    workload: {
      api,
      stream: sc.stream,
      load: planner.description,
      loadConfig: { ...load },
      warmupRequests: warmup,
      requests: sc.num_requests ?? null,
      data: { type: data.type, seed, cells: [...data.cells], tokenizer: { ...data.tokenizer }, config: { ...sc.data, seed } },
      overrides: input.overrides,
      notes,
    },
    stats,
    cells: [...perCell].map(([cell, acc]) => ({ cell, stats: acc.stats() })),
    stages: reports,
    ...((stats.requests.stalled ?? 0) > 0 && absorbed.length === 0 ? { withoutStalled: unstalled.stats() } : {}),
    ...(models.length > 1 ? { models: [...perModel].map(([model, acc]) => ({ model, stats: acc.stats() })) } : {}),
    stop,
    goodput: reports.length === 1 ? reports[0]!.goodput : null,
    run: {
      clock,
      durationS: (outcome.end - outcome.measuredStart) / 1000,
      stopped: outcome.stopped,
      sent,
      offeredRate,
      // A merge that absorbed pods' histograms: their sends are in the stages' bookkeeping, not in the replayed records.
      achievedSendRate: absorbed.length > 0 ? sendRateOf(stages) : outcome.achievedSendRate,
      eventLoopDelayMs: outcome.eventLoopDelayMs,
      ...(outcome.stalls ? { stalls: outcome.stalls } : {}),
      priority: outcome.priority,
    },
    validity,
    slo: input.slo.profiles.map((p) => evaluateSlo(p, stats, input.slo.floors, { streamed: sc.stream })),
    files: { requests: 'requests.jsonl', stages: 'stages.jsonl' },
    runDir: input.runDir,
  };
  if (load.type === 'sweep') {
    const tokens = reports.every((r) => r.stats.throughput.outputTokensPerS !== null || r.stats.requests.successful === 0) && reports.some((r) => r.stats.throughput.outputTokensPerS !== null);
    report.knee = findKnee(
      reports.map((r) => ({
        label: r.label,
        concurrency: r.offered.concurrency!,
        throughput: tokens ? r.stats.throughput.outputTokensPerS : r.stats.throughput.requestsPerS,
      })),
      load.knee_tolerance,
      tokens ? 'output tokens/s' : 'requests/s',
    );
  }
  if (load.type === 'search') report.capacity = (planner as SearchPlanner).result();
  return report;
}

const round3 = (x: number): number => Number(x.toPrecision(3));

/** The rate an open-loop stage's schedule called for over the requests it sent (their intended times); null for a closed loop or fewer than 2 sent. */
function scheduledRate(acc: StageAcc): number | null {
  return acc.offered.rate === null ? null : rateOver(acc.sent, acc.firstIntended, acc.lastIntended);
}

/** The run's achieved send rate over every stage's bookkeeping (first to last send of all stages). */
function sendRateOf(stages: readonly StageAcc[]): number | null {
  let sent = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const s of stages) {
    sent += s.sent;
    first = Math.min(first, s.firstSend);
    last = Math.max(last, s.lastSend);
  }
  return rateOver(sent, first, last);
}

/** The runner's retry policy from a scenario's `retry`. */
function retryPolicyOf(r: Retry | undefined): RetryPolicy | null {
  if (!r) return null;
  return {
    on: new Set(r.on),
    maxAttempts: r.max_attempts,
    initialBackoffMs: r.backoff_s * 1000,
    maxBackoffMs: r.max_backoff_s * 1000,
    multiplier: r.multiplier,
    jitter: r.jitter,
  };
}

/**
 * The models a scenario sends to: `served` is every model the target listed (its own model when
 * it listed none); a list is taken as given, with a note for names the target did not list (a
 * gateway may route more than it lists, so that is not an error; a model it cannot route fails
 * its requests, which the report shows).
 */
function modelsOf(spec: 'served' | string[] | undefined, own: string, served: readonly string[], notes: string[]): string[] {
  if (spec === undefined) return [own];
  if (spec === 'served') return served.length > 0 ? [...served] : [own];
  const unlisted = spec.filter((m) => served.length > 0 && !served.includes(m));
  if (unlisted.length) notes.push(`model(s) not listed by the target at /v1/models: ${unlisted.join(', ')}`);
  return [...new Set(spec)];
}
