import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseSchedstat, SchedstatReader, type Stall, StallWatch } from '../../lib/load/stall-watch.ts';
import type { RequestMetrics } from '../../lib/metrics/derive.ts';
import type { RequestRecord, RunClock } from '../../lib/metrics/record.ts';
import { renderHtml } from '../../lib/render/html-report.ts';
import { renderJunit } from '../../lib/render/junit.ts';
import { renderTest } from '../../lib/render/summary.ts';
import { renderTable } from '../../lib/render/table.ts';
import { RequestsFile, type RequestLine } from '../../lib/run-folder/requests-file.ts';
import type { RunReport } from '../../lib/report/run-report.ts';
import { runScenario, type ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import { TIMEOUTS } from '../http/drive.ts';
import { simTarget, useSimRun } from '../scenario/sim-target.ts';

/**
 * Per-request validity: the measuring process watches its own stalls as intervals, and every
 * request whose measured interval a stall overlapped is marked. A stall is planted here by a
 * synchronous busy loop in the measuring process while the k-th measured record is written (the
 * runner hands records on inside its event loop, like every timestamp it takes).
 */
const run = useSimRun('llmd-stall-');

/** Lag limit of these runs (also the stall limit), and the planted stall's length, ms. */
const LIMIT_MS = 20;
const STALL_MS = 100;

/** A requests.jsonl that busy-waits `STALL_MS` in the measuring process after writing the `at`-th measured record. */
class StallingRequests extends RequestsFile {
  written = 0;
  stall: { start: number; end: number } | null = null;

  constructor(
    path: string,
    private readonly at: number,
  ) {
    super(path);
  }

  override append(scenario: string, clock: RunClock, r: RequestRecord, m: RequestMetrics | null): void {
    super.append(scenario, clock, r, m);
    if (r.warmup || ++this.written !== this.at) return;
    const start = performance.now();
    while (performance.now() - start < STALL_MS);
    this.stall = { start, end: performance.now() };
  }
}

const SCENARIO: ScenarioInput = {
  stream: true,
  // About 25 rounds of 30 ms requests: records reach the file after their tokens are counted on
  // a worker thread, late on a loaded machine, and the 30th must still find requests in flight.
  num_requests: 200,
  warmup_requests: 4,
  load: { type: 'concurrency', concurrency: 8 },
  data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [64] },
};

describe('a stall planted in the middle of a run', () => {
  test('marks exactly the requests it overlapped, and the run is invalid', async () => {
    const requests = new StallingRequests(join(run.dir, 'stalled.jsonl'), 30);
    const report = await runScenario({
      suite: 'unit',
      name: 'stalled',
      scenario: SCENARIO,
      target: simTarget(run.sim.url, 'words'),
      slo: { ...resolveScenarioSlo(undefined, {}, 'test.yaml'), floors: { minSuccessRate: 0.95, maxScheduleLagP99Ms: LIMIT_MS } },
      timeouts: TIMEOUTS,
      runDir: run.dir,
      requests,
      overrides: [],
      seedSalt: 'stall',
    });
    requests.close();
    const planted = requests.stall!;
    expect(planted).not.toBeNull();
    const anchor = report.run.clock.perfMs;
    const s0 = planted.start - anchor;
    const s1 = planted.end - anchor;
    const lines = readFileSync(requests.path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestLine).filter((l) => !l.warmup);
    expect(lines).toHaveLength(200);

    // Expected from the records alone: those whose [sent, end] overlapped the busy loop.
    const overlap = (l: RequestLine, a: number, b: number): number => Math.min(l.end_ms, b) - Math.max(l.sent_ms!, a);
    const expected = lines.filter((l) => overlap(l, s0, s1) > 0).map((l) => l.seq).sort((a, b) => a - b);
    // No timestamp falls inside a stall: whatever overlapped it spanned it whole.
    for (const l of lines.filter((x) => overlap(x, s0, s1) > 0)) expect(overlap(l, s0, s1)).toBeCloseTo(s1 - s0, 2);
    expect(expected.length).toBeGreaterThanOrEqual(2);

    // Marked for this stall: a mark whose interval covers the busy loop (a machine this loaded may add stalls of its own).
    const covers = (l: RequestLine): boolean => !!l.stall && l.stall.start_ms <= s0 + 0.001 && l.stall.start_ms + l.stall.ms >= s1 - 0.001;
    const marked = lines.filter(covers).map((l) => l.seq).sort((a, b) => a - b);
    expect(marked).toEqual(expected);
    for (const l of lines.filter(covers)) {
      expect(l.stall!.ms).toBeGreaterThanOrEqual(STALL_MS);
      expect(l.stall!.ms).toBeLessThan(STALL_MS + 40);
    }
    // Requests marked for any other stall overlapped one (the marks and the count agree).
    expect(report.stats.requests.stalled).toBe(lines.filter((l) => l.stall).length);

    expect(report.run.stalls!.count).toBeGreaterThanOrEqual(1);
    expect(report.run.stalls!.longestMs).toBeGreaterThanOrEqual(STALL_MS);
    expect(report.validity.valid).toBe(false);
    expect(report.validity.reasons.join('\n')).toMatch(new RegExp(`\\d+ of 200 requests \\(.*%\\) overlapped a stall of the client longer than ${LIMIT_MS} ms; longest stall \\d+`));
    // Statistics without the marked requests sit next to the whole run's.
    expect(report.withoutStalled!.requests.total).toBe(200 - report.stats.requests.stalled!);

    // Every report gives the count, the share and the longest stall, and the latency without them.
    const n = report.stats.requests.stalled!;
    const said = new RegExp(`${n} of 200 requests \\([\\d.]+%\\) overlapped a client stall; \\d+ stalls? of the measuring thread longer than ${LIMIT_MS} ms, longest [\\d.]+ ms`);
    const terminal = renderTable(report);
    expect(terminal.replace(/\s+/g, ' ')).toMatch(new RegExp(`client stalls: ${said.source}`));
    expect(terminal.replace(/\s+/g, ' ')).toMatch(new RegExp(`without the ${n} stalled request${n === 1 ? "" : "s"}: TTFT p99 [\\d.]+ ms \\(all: [\\d.]+\\)`));
    const json = renderTest(report, 'fail') as { results: { stalled_requests: number }; results_without_stalled: { total_requests: number }; run: { stalls: unknown } };
    expect(json.results.stalled_requests).toBe(n);
    expect(json.results_without_stalled.total_requests).toBe(200 - n);
    expect(json.run.stalls).toEqual(report.run.stalls);
    const runReport: RunReport = {
      suite: 'unit', stamp: 's', runDir: run.dir, tool: { name: 't', version: '0', node: process.version }, testFiles: [],
      tests: [{ report, state: 'fail' }], actuation: [], failed: [], skipped: [], environment: null,
    };
    expect(renderHtml(runReport).replace(/\s+/g, ' ')).toMatch(said);
    expect(renderJunit([runReport])).toMatch(said);
  });
});

describe('StallWatch', () => {
  const watch = (stalls: Stall[]): StallWatch => {
    const w = new StallWatch(10, { schedstat: false });
    w.stalls.push(...stalls);
    return w;
  };

  test('a request counts only the part of a stall inside its interval', () => {
    const w = watch([{ start: 100, end: 150, runQueueMs: null }]);
    expect(w.overlapping(90, 160)).toEqual({ start: 100, end: 150, runQueueMs: null });
    expect(w.overlapping(120, 160)).not.toBeNull();
    // Sent as the stall ended, or finished as it began: the thread ran then, the stall moved nothing of it.
    expect(w.overlapping(145, 300)).toBeNull();
    expect(w.overlapping(0, 105)).toBeNull();
    expect(w.overlapping(150, 300)).toBeNull();
  });

  test('the longest of the stalls a request overlapped is its mark', () => {
    const w = watch([
      { start: 100, end: 130, runQueueMs: null },
      { start: 200, end: 260, runQueueMs: 40 },
      { start: 300, end: 320, runQueueMs: null },
    ]);
    expect(w.overlapping(50, 400)?.start).toBe(200);
    expect(w.summary()).toEqual({ count: 3, longestMs: 60, limitMs: 10, schedstat: false });
    expect(w.summary(150, 350)).toMatchObject({ count: 2, longestMs: 60 });
  });

  test('a record without a send is never marked', () => {
    const w = watch([{ start: 100, end: 150, runQueueMs: null }]);
    const r = { sent: null, end: 160 } as RequestRecord;
    w.mark(r);
    expect(r.stall).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('schedstat', () => {
  test('parses this thread\'s /proc file', () => {
    const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
    const parsed = parseSchedstat(text);
    expect(parsed).not.toBeNull();
    const [run, wait, slices] = text.trim().split(' ').map(Number);
    expect(parsed).toEqual({ runNs: run, waitNs: wait, slices });
    expect(parsed!.runNs).toBeGreaterThan(0);
  });

  test('the reader reads it again with each call, and the counters only grow', () => {
    const reader = SchedstatReader.open()!;
    expect(reader).not.toBeNull();
    const a = reader.read()!;
    // The kernel updates a running thread's CPU time at scheduler ticks (every 4 ms at HZ=250), not
    // on each read: spin past a few ticks so the second read must see more.
    let x = 0;
    for (const t0 = performance.now(); performance.now() - t0 < 25; ) x++;
    const b = reader.read()!;
    reader.close();
    expect(x).toBeGreaterThan(0);
    expect(b.runNs).toBeGreaterThan(a.runNs);
    expect(b.waitNs).toBeGreaterThanOrEqual(a.waitNs);
    expect(reader.read()).toBeNull();
  });

  test('malformed lines and a missing file give null', () => {
    expect(parseSchedstat('')).toBeNull();
    expect(parseSchedstat('1 2')).toBeNull();
    expect(parseSchedstat('a b c')).toBeNull();
    expect(SchedstatReader.open('/proc/self/no-such-file')).toBeNull();
  });
});
