/**
 * The "account" step of a scenario run: every finished record goes into the accumulators of the
 * whole test, its workload cell, its model, and its reported stage (statistics, goodput, send
 * bookkeeping), and a session turn into its turn index's and its session's (`session-accounting.ts`);
 * a finished runner stage becomes its reported stages (`StageReport`), each appended to
 * `stages.jsonl` as it ends.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { scrubValue } from '../config/secrets.ts';
import { phaseAt, rateOver, type StageOutcome, type StagePlan } from '../load/stage.ts';
import { StatsAccumulator } from '../metrics/aggregate.ts';
import type { Definitions, RequestMetrics } from '../metrics/derive.ts';
import type { RequestRecord } from '../metrics/record.ts';
import type { ProgressCounters } from '../progress/progress.ts';
import type { StageReport } from '../report/model.ts';
import { GoodputCounter } from '../slo/goodput.ts';
import type { SloFloors, SloProfile } from '../slo/profile.ts';
import { DEFAULT_EXACT_CAP } from '../stats/sample-store.ts';
import { SessionAccounting } from './session-accounting.ts';
import { assessValidity } from './validity.ts';

/**
 * Exact samples a metric keeps per stage, and per cell or model when there are n of them, before
 * folding into a histogram (percentiles then within 0.1%, and the summary says so): the whole
 * test keeps `DEFAULT_EXACT_CAP` (2^18); the breakdowns share about as much again, so memory stays
 * bounded however long the run (under 100 MB per million requests).
 */
const STAGE_CAP = 2 ** 16;
const subCap = (n: number): number => Math.max(2 ** 14, Math.floor(DEFAULT_EXACT_CAP / Math.max(1, n)));

/** One reported stage while it runs: its statistics, goodput and sends. */
export interface StageAccount {
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

/** What the accounting of one test is set up with. */
export interface AccountingInput {
  suite: string;
  name: string;
  runDir: string;
  definitions: Definitions;
  cells: readonly string[];
  models: readonly string[];
  /** The scenario's configured SLO profile: goodput per stage is under it. */
  profile: SloProfile;
  streamed: boolean;
  floors: SloFloors;
  /** The report's workload notes (a stages.jsonl that cannot be written is noted there). */
  notes: string[];
  /** Called as each reported stage is opened. */
  stageOpened?: (k: number, stage: StageAccount) => void;
  /** A multi-turn run: the header its sessions' ids go in (the turns are then accounted by turn index and session too). */
  sessionHeader?: string;
}

/** The accumulators of one test and its reported stages. */
export class RunAccounting {
  readonly all: StatsAccumulator;
  /** The measured requests no stall of the measuring thread overlapped (`RequestRecord.stall`). */
  readonly unstalled: StatsAccumulator;
  readonly perCell: Map<string, StatsAccumulator>;
  readonly perModel: Map<string, StatsAccumulator>;
  /** Turns by index and sessions, in a multi-turn run; null otherwise. */
  readonly sessions: SessionAccounting | null;
  /** Reported stages, their finished reports, and where each runner stage's phases start among them. */
  readonly stages: StageAccount[] = [];
  readonly reports: StageReport[] = [];
  readonly firstReported: number[] = [];
  readonly plans: StagePlan[] = [];
  private readonly stageStart: number[] = [];
  private readonly stagesFile: string;

  constructor(private readonly input: AccountingInput) {
    const { definitions, cells, models } = input;
    this.all = new StatsAccumulator(undefined, {}, definitions);
    this.unstalled = new StatsAccumulator(undefined, { exactCap: STAGE_CAP }, definitions);
    this.perCell = new Map(cells.map((c) => [c, new StatsAccumulator(undefined, { exactCap: subCap(cells.length) }, definitions)]));
    this.perModel = new Map(models.map((m) => [m, new StatsAccumulator(undefined, { exactCap: subCap(models.length) }, definitions)]));
    this.stagesFile = join(input.runDir, 'stages.jsonl');
    this.sessions = input.sessionHeader === undefined ? null : new SessionAccounting(input.sessionHeader, definitions);
  }

  /** Opens the reported stages of a runner stage about to run (one, or one per phase). */
  openPlan(plan: StagePlan): void {
    this.plans.push(plan);
    this.firstReported.push(this.stages.length);
    if (plan.phases) for (const ph of plan.phases) this.open(ph.label, ph.description, ph.offered);
    else this.open(plan.label, plan.description, plan.offered, plan.probe);
  }

  /** Runner stage `index` started at `start` (`performance.now()` ms). */
  stageStarted(index: number, start: number): void {
    this.stageStart[index] = start;
  }

  /** Counts one finished record; returns its metrics (null for warm-up and cut requests). */
  record(r: RequestRecord): RequestMetrics | null {
    const m = this.all.add(r);
    if (!r.stall) this.unstalled.add(r);
    this.perCell.get(r.cell)?.add(r);
    if (this.input.models.length > 1) this.perModel.get(r.model)?.add(r);
    this.sessions?.add(r);
    const k = this.reportedIndex(r);
    if (k === null) return m;
    const acc = this.stages[k]!;
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
    return m;
  }

  /** Reports the stages of a finished runner stage and appends them to `stages.jsonl`. */
  finishStage(o: StageOutcome): void {
    const { stages, firstReported } = this;
    const { floors } = this.input;
    const from = firstReported[o.index]!;
    const to = o.index + 1 < firstReported.length ? firstReported[o.index + 1]! : stages.length;
    for (let k = from; k < to; k++) {
      const acc = stages[k]!;
      const stats = acc.stats.stats();
      const achieved = rateOver(acc.sent, acc.firstSend, acc.lastSend);
      const single = to - from === 1;
      const validity = assessValidity(
        stats,
        { eventLoopDelayMs: o.eventLoopDelayMs, achievedSendRate: achieved, stopped: o.stopped, stalls: o.stalls },
        // The rate the schedule called for over the same requests: what the client must keep up with.
        scheduledRate(acc),
        floors.maxScheduleLagP99Ms,
        floors.maxStalledShare,
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
        stopRule: o.stopRule && (single || k === this.lastWithRequests(from, to)) ? o.stopRule : null,
        goodput: acc.goodput.result(stats.window.durationMs),
      };
      this.reports.push(rep);
      try {
        appendFileSync(this.stagesFile, `${JSON.stringify(scrubValue({ suite: this.input.suite, scenario: this.input.name, ...rep }))}\n`);
      } catch (err) {
        this.input.notes.push(`stages.jsonl could not be written: ${(err as Error).message}`);
      }
    }
  }

  /** Idle pauses between stages are no part of the run's measurement window (nor of a stage's, which starts after its pause). */
  excludePauses(outcomes: readonly StageOutcome[]): void {
    for (const o of outcomes) {
      if (o.pause) for (const acc of [this.all, this.unstalled, ...this.perCell.values(), ...this.perModel.values(), ...(this.sessions?.accumulators() ?? [])]) acc.excludeIdle(o.pause.from, o.start);
    }
  }

  /** The run's state for the progress line, from the counters the stages keep anyway. */
  progressOf(planned: number | null, warmup: number): ProgressCounters {
    const { plans, stages } = this;
    const k = plans.length - 1;
    const plan = plans[k];
    const start = this.stageStart[k];
    if (!plan || start === undefined) {
      const phase = k === 0 && warmup > 0 ? 'warm-up' : 'preparing';
      return { phase, stage: null, stageNumber: Math.max(1, k + 1), stages: planned, done: 0, total: null, errors: 0, startedAt: null, durationMs: null };
    }
    const from = this.firstReported[k]!;
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

  /** The run's achieved send rate over every stage's bookkeeping (first to last send of all stages). */
  sendRate(): number | null {
    let sent = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const s of this.stages) {
      sent += s.sent;
      first = Math.min(first, s.firstSend);
      last = Math.max(last, s.lastSend);
    }
    return rateOver(sent, first, last);
  }

  private open(label: string, description: string, offered: StageAccount['offered'], probe?: StageAccount['probe']): void {
    const { definitions, profile, streamed } = this.input;
    this.stages.push({
      label, description, offered, ...(probe ? { probe } : {}), stats: new StatsAccumulator(undefined, { exactCap: STAGE_CAP }, definitions), goodput: new GoodputCounter(profile, { streamed }),
      sent: 0, firstSend: Infinity, lastSend: -Infinity, firstIntended: Infinity, lastIntended: -Infinity, cut: 0, failed: 0,
    });
    this.input.stageOpened?.(this.stages.length - 1, this.stages.at(-1)!);
  }

  private reportedIndex(r: RequestRecord): number | null {
    if (r.stage === null) return null;
    return this.firstReported[r.stage]! + phaseAt(this.plans[r.stage]!, this.stageStart[r.stage]!, r.intended);
  }

  private lastWithRequests(from: number, to: number): number {
    for (let k = to - 1; k > from; k--) if (this.stages[k]!.sent > 0) return k;
    return from;
  }
}

/** The rate an open-loop stage's schedule called for over the requests it sent (their intended times); null for a closed loop or fewer than 2 sent. */
export function scheduledRate(acc: StageAccount): number | null {
  return acc.offered.rate === null ? null : rateOver(acc.sent, acc.firstIntended, acc.lastIntended);
}
