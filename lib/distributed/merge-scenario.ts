/**
 * One test of a distributed run, merged: the pods' records of the scenario, put on one timeline
 * (each pod's clock anchor shifted by its measured offset from pod 0), replayed through
 * the scenario run's own steps by a driver (`replay-load.ts`), and the report's distributed
 * section told who made it: every pod with its node, share, clock offset and own validity, and
 * every share that is missing and why. A pod whose records did not arrive intact is merged from
 * its encoded histograms (`scenario-stats.ts`) instead, absorbed into every accumulator (the
 * whole, each stage, cell and model) with its times moved onto the merge's clock, and the report
 * says so with the percentiles' bound.
 *
 * Timeline. Pod k's record time x (ms after its test's clock anchor) is at pod-0 wall time
 * `wallMs_k + x - offset_k`; on the merge's timeline (the reference pod's `performance.now()`)
 * that is `perf_ref + wallMs_k + x - offset_k - (wallMs_ref - offset_ref)`. Latencies are
 * differences on one pod's clock and do not move; windows, throughput and time series are over
 * the union, good to the offsets' bound (half the best round trip to pod 0, reported).
 */
import { StatsAccumulator } from '../metrics/aggregate.ts';
import type { DistributedPod, DistributedReport, MeasuredTest } from '../report/model.ts';
import type { LoadConfigInput } from '../load/registry.ts';
import type { RunClock } from '../metrics/record.ts';
import { BenchError } from '../errors/bench-error.ts';
import type { DistributedSection } from '../scenario/assemble-report.ts';
import type { ScenarioDriver } from '../scenario/driver.ts';
import { listPodFolders, type PodFolder, type PodScenario, readPodScenario, shareLineOf } from './pod-folders.ts';
import { replayDriver } from './replay-load.ts';
import { absorbStage } from './scenario-stats.ts';

/** What a merged test runs its scenario with, and the report section it adds. */
export interface MergedScenario {
  /** Replays the pods' records on the reference pod's clock and absorbs the histograms of those whose records did not arrive. */
  driver: ScenarioDriver;
  /**
   * The report's `distributed` section, the reasons it makes the whole invalid and its notes.
   * `maxStartLagMs` (the scenario's schedule-lag floor): a pod that started a stage later than
   * that after the common instant did not send the intended process, and is invalid for it.
   */
  section(measured: Pick<MeasuredTest, 'stages'>, maxStartLagMs: number): DistributedSection;
}

const wallOf = (c: RunClock): number => c.wallMs ?? Date.parse(c.wallTime);

/** Why a pod did not finish its share, from what the launcher saw and what the pod wrote; null when it did. */
function incompleteOf(f: PodFolder): string | null {
  const l = f.launch;
  if (l && l.phase !== 'Succeeded') {
    const what = [l.phase ?? 'not started', l.reason, l.message, l.exitCode !== null ? `exit code ${l.exitCode}` : null].filter(Boolean).join(': ');
    return what;
  }
  if (!f.pod) return 'no pod.json: the pod did not finish';
  return null;
}

/**
 * The merge of scenario `suite/scenario` from the pods' folders under `runDir/pods/`. A search
 * load was run whole by pod 0, so only its share is expected. Throws when no pod recorded the
 * scenario at all.
 */
export async function mergeScenario(runDir: string, suite: string, scenario: string, load: LoadConfigInput): Promise<MergedScenario> {
  const { parallelism: launched, pods: folders } = listPodFolders(runDir);
  const whole = (load as { type?: string }).type === 'search';
  const expected = whole ? 1 : launched;
  const byIndex = new Map(folders.map((f) => [f.index, f]));
  // The reference pod (the lowest index that ran the test) from shares.jsonl alone, so every
  // pod's records are read once, straight onto the reference timeline.
  let ref: { folder: PodFolder; share: PodScenario['share'] } | null = null;
  for (const f of folders) {
    const share = f.index < expected ? await shareLineOf(f, suite, scenario) : null;
    if (share) {
      ref = { folder: f, share };
      break;
    }
  }
  if (!ref) throw new BenchError('MERGE_NO_RECORDS', `${runDir}: no pod recorded ${suite}/${scenario} (pods/<index>/*/shares.jsonl)`);
  const offsetOf = (f: PodFolder): number => (f.index === 0 ? 0 : (f.pod?.clock?.offsetMs ?? 0));
  const refClock = ref.share.clock;
  const refBase = wallOf(refClock) - offsetOf(ref.folder);
  const anchor = (sh: PodScenario['share'], f: PodFolder): number => refClock.perfMs + wallOf(sh.clock) - offsetOf(f) - refBase;
  const pods: PodScenario[] = [];
  for (const f of folders) {
    const p = f.index < expected ? await readPodScenario(f, suite, scenario, anchor) : null;
    if (p) pods.push(p);
  }
  // Records that did not arrive intact (a file dropped in transfer, cut short): the pod's stats
  // line, written once its test was over, counts every record it made; its histograms replace
  // them. A pod without one (killed midway) is merged from what it recorded, and incomplete.
  const fromStats = new Map<number, string>();
  const lostOnly = new Map<number, string>();
  for (const p of pods) {
    const line = p.statsLine;
    const want = line ? line.all.counts.total + line.all.counts.warmup + line.all.counts.cut : null;
    const have = p.records.length;
    if (line && want !== have) {
      fromStats.set(p.folder.index, p.recordsFile ? `${have} of its ${want} records arrived` : `its requests.jsonl did not arrive (${want} records)`);
      p.records = [];
    } else if (!p.recordsFile && !line) {
      lostOnly.set(p.folder.index, 'neither its requests.jsonl nor its stats.jsonl arrived');
    }
  }
  const absorb = pods.filter((p) => fromStats.has(p.folder.index)).map((p) => ({ line: p.statsLine!, shiftMs: p.anchorMs - p.share.clock.perfMs }));
  const bits = absorb.length > 0 ? Math.min(...absorb.map((a) => a.line.precisionBits)) : null;
  const relativeError = bits === null ? null : 2 ** -(bits + 1);

  const section = (measured: Pick<MeasuredTest, 'stages'>, maxStartLagMs: number): DistributedSection => {
    const present = new Map(pods.map((p) => [p.folder.index, p]));
    const list: DistributedPod[] = [];
    const missing: DistributedReport['missing'] = [];
    for (let i = 0; i < expected; i++) {
      const p = present.get(i);
      const f = byIndex.get(i);
      if (!p) {
        missing.push({ index: i, share: `share ${i + 1} of ${expected}`, reason: f ? (incompleteOf(f) ?? 'the pod recorded nothing for this test') : 'nothing was collected from this pod' });
        continue;
      }
      const acc = new StatsAccumulator([99]);
      const histograms = fromStats.get(i);
      if (histograms) acc.absorb(p.statsLine!.all);
      else for (const r of p.records) acc.add(r);
      const lag = acc.stats().latency.schedule_lag.percentiles.p99 ?? null;
      const reasons = [
        ...p.stageReports.filter((s) => s && !s.validity.valid).flatMap((s) => s.validity.reasons.map((x) => `${s.label}: ${x}`)),
        ...p.stages.filter((s) => s.sync && !s.sync.synced).map((s) => `stage ${s.stage + 1} started unsynchronised: ${s.sync!.error ?? 'no barrier'}`),
        ...p.stages.filter((s) => s.sync?.synced && s.sync.lateByMs > maxStartLagMs).map((s) => `stage ${s.stage + 1} started ${s.sync!.lateByMs.toFixed(1)} ms after the pods' common start (limit ${maxStartLagMs} ms)`),
      ];
      const lost = lostOnly.get(i);
      const incomplete = incompleteOf(p.folder) ?? (lost ? `${lost}: nothing of its share was merged` : null);
      list.push({
        index: i,
        pod: p.folder.pod?.pod ?? p.folder.launch?.pod ?? null,
        node: p.folder.pod?.node ?? p.folder.launch?.node ?? null,
        share: p.share.share,
        requests: histograms ? p.statsLine!.all.counts.total : p.records.filter((r) => !r.warmup && r.error?.class !== 'cut').length,
        clockOffsetMs: i === 0 ? 0 : (p.folder.pod?.clock?.offsetMs ?? null),
        clockBoundMs: i === 0 ? 0 : (p.folder.pod?.clock?.boundMs ?? null),
        validity: { valid: reasons.length === 0, reasons, scheduleLagP99Ms: lag },
        incomplete,
        source: histograms ? 'histograms' : 'records',
        lost: histograms ?? lost ?? null,
      });
    }
    const stageCount = measured.stages.length;
    const spread: number[] = [];
    for (let k = 0; k < stageCount; k++) {
      const starts = pods.flatMap((p) => p.stages.filter((s) => s.stage === k).map((s) => s.start_ms + p.anchorMs));
      spread.push(starts.length > 1 ? Math.max(...starts) - Math.min(...starts) : 0);
    }
    const distributed: DistributedReport = {
      role: 'merged',
      parallelism: expected,
      launched,
      pods: list,
      missing,
      partial: missing.length > 0 || list.some((p) => p.incomplete !== null),
      source: absorb.length > 0 ? 'records+histograms' : 'records',
      relativeError,
      stageStartSpreadMs: spread,
    };
    const reasons = [
      ...missing.map((m) => `share ${m.index} of ${expected} missing (${m.reason}): the statistics cover the other shares only`),
      ...list.filter((p) => p.incomplete).map((p) => `pod ${p.pod ?? p.index} (share ${p.index}) incomplete: ${p.incomplete}`),
      ...list.flatMap((p) => p.validity.reasons.map((r) => `pod ${p.pod ?? p.index} (share ${p.index}): ${r}`)),
    ];
    const viaHistograms = list.filter((p) => p.source === 'histograms');
    const notes: string[] = [];
    notes.push(
      whole
        ? `distributed over ${launched} pods: a search load cannot be split, so pod 0 ran it whole`
        : viaHistograms.length === 0
          ? `distributed over ${expected} pods (${list.length} reported); merged from every pod's records: exact`
          : `distributed over ${expected} pods (${list.length} reported); merged from the records of ${list.length - viaHistograms.length} and the encoded histograms of ${viaHistograms.length}`,
    );
    for (const p of viaHistograms) {
      notes.push(`pod ${p.pod ?? p.index} (share ${p.index}): ${p.lost}; its statistics are merged from its encoded histograms (stats.jsonl)`);
    }
    if (viaHistograms.length > 0) {
      notes.push(`percentiles are within ${(relativeError! * 100).toPrecision(2)}% (relative) of the exact ones; counts, means, windows and throughputs are exact; per-request outputs (the merged requests.jsonl, time series over the run) cover the pods whose records arrived`);
    }
    return { section: distributed, invalid: reasons, notes };
  };
  const driver: ScenarioDriver = {
    runLoad: replayDriver(pods),
    clock: refClock,
    // Each reported stage is the same in every pod (one plan): a stats line's stage k joins stage k as it is opened.
    stageOpened(k, stage) {
      for (const a of absorb) {
        const s = a.line.stages[k];
        if (s) absorbStage(stage, s, a.shiftMs);
      }
    },
    finished(acc) {
      let sent = 0;
      for (const a of absorb) {
        acc.all.absorb(a.line.all, a.shiftMs);
        for (const [cell, e] of Object.entries(a.line.cells)) acc.perCell.get(cell)?.absorb(e, a.shiftMs);
        if (acc.perModel.size > 1) for (const [model, e] of Object.entries(a.line.models)) acc.perModel.get(model)?.absorb(e, a.shiftMs);
        sent += a.line.sent;
      }
      return { notes: [], sent, absorbed: absorb.length > 0 };
    },
  };
  return { driver, section };
}
