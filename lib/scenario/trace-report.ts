/**
 * The trace section of a replay's report (`TestReport.trace`): what the data source says the
 * trace was (`TraceTiming.info`), and what the measured records show of how the run kept it: the
 * lag of each send behind the trace's own timestamp (the schedule lag, the `trace` load's
 * intended times being the trace's), the prompt tokens sent, and the cached tokens the server
 * reported against the cache reuse the trace's blocks predict.
 */
import type { TraceTiming } from '../data/source.ts';
import type { RequestMetrics } from '../metrics/derive.ts';
import type { RequestRecord } from '../metrics/record.ts';
import type { TraceReport, ValueSummary } from '../report/model.ts';
import type { RequestsFile } from '../run-folder/requests-file.ts';
import { summarize } from '../stats/summary.ts';

/** The summary of `values` as the report gives one. */
export function valueSummary(values: readonly number[]): ValueSummary {
  const s = summarize(values, [50, 95, 99]);
  return { count: s.count, mean: s.mean, p50: s.percentiles.p50 ?? null, p95: s.percentiles.p95 ?? null, p99: s.percentiles.p99 ?? null, min: s.min, max: s.max };
}

/** Collects the measured records of a trace replay and makes its report section. */
export class TraceRecorder {
  private readonly lags: number[] = [];
  private promptTokens = 0;
  private cached = 0;
  private reportedCached = false;

  constructor(
    private readonly timing: TraceTiming,
    /** The `trace` load's speed-up, null when another load type sent the trace (its timestamps then unused). */
    private readonly speedup: number | null,
  ) {}

  /** Takes one finished record (warm-up ones are left out). */
  record(r: RequestRecord, m: RequestMetrics | null): void {
    if (r.warmup || m === null) return;
    if (m.scheduleLagMs !== null) this.lags.push(m.scheduleLagMs);
    this.promptTokens += r.usage?.promptTokens ?? r.promptTokens;
    if (r.usage?.cachedTokens !== null && r.usage?.cachedTokens !== undefined) {
      this.cached += r.usage.cachedTokens;
      this.reportedCached = true;
    }
  }

  /**
   * `requests` with every appended record also taken here: the records reach the requests file
   * as they finish, with their derived metrics, so the section sees exactly what the file holds.
   */
  tap(requests: RequestsFile): RequestsFile {
    const tapped = Object.create(requests) as RequestsFile;
    tapped.append = (...args: Parameters<RequestsFile['append']>) => {
      this.record(args[2], args[3]);
      requests.append(...args);
    };
    return tapped;
  }

  /** The section. `arrivalLagMs` is the schedule lag of a `trace` load; with another load type it is that load's lag. */
  report(): TraceReport {
    const { info, count } = this.timing;
    const speedup = this.speedup ?? 1;
    const traceSpanS = count > 0 ? this.timing.atS(count - 1) : 0;
    return {
      format: info.format,
      file: info.file,
      requests: count,
      ...(info.skipped ? { skipped: info.skipped } : {}),
      speedup,
      traceSpanS,
      replaySpanS: traceSpanS / speedup,
      arrivalLagMs: valueSummary(this.lags),
      blockSize: info.blockSize,
      expectedCachedTokens: info.expectedCachedTokens,
      promptTokens: this.promptTokens,
      reportedCachedTokens: this.reportedCached ? this.cached : null,
    };
  }
}
