import { describe, expect, test } from 'vitest';
import type { RunStats } from '../../lib/metrics/aggregate.ts';
import { readRunClock } from '../../lib/metrics/record.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { BenchResult } from '../../lib/scenario/bench-result.ts';
import { DEFAULT_FLOORS } from '../../lib/slo/profile.ts';
import { resolveAssertedSlo } from '../../lib/slo/resolve.ts';
import '../../lib/vitest/meta.ts';
import { matchers, toMeetSLO } from '../../lib/vitest/matchers.ts';
import { failedRecord, statsOf, timedRecord } from './stats.ts';

expect.extend(matchers);

function report(stats: RunStats, over: Partial<TestReport> = {}): TestReport {
  return {
    schema: 'vitest-llm-d/test-report@1',
    suite: 'latency',
    scenario: 'short-prompts',
    description: null,
    timestamp: '2025-01-01T00:00:00.000Z',
    target: {
      name: 'simulator',
      kind: 'simulator',
      origin: 'default',
      baseUrl: 'http://127.0.0.1:1',
      model: 'Qwen/Qwen3-0.6B',
      servedModels: [],
      backend: 'vllm',
      accelerator: null,
      notes: null,
      simulator: null,
    },
    workload: { api: 'completions', stream: true, load: '', loadConfig: {}, warmupRequests: 0, requests: 0, data: { type: 'synthetic', seed: 1, cells: [], tokenizer: { name: 'words', kind: 'stand-in', exact: false } }, overrides: [], notes: [] },
    stats,
    cells: [],
    stages: [],
    stop: null,
    goodput: null,
    run: { clock: readRunClock(), durationS: 1, stopped: null, sent: 0, offeredRate: null, achievedSendRate: null, eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, priority: { nice: 0, raised: false } },
    validity: { valid: true, reasons: [] },
    slo: [],
    files: { requests: 'requests.jsonl' },
    runDir: '/tmp/x',
    ...over,
  };
}

const configured = { profiles: [], floors: DEFAULT_FLOORS };
const result = (r: TestReport): BenchResult =>
  new BenchResult(r, (spec) => resolveAssertedSlo(spec ?? 'mlperf-standard', configured, {}, 'suite.yaml'));

/** TTFT 100..500 ms (p95 480), TPOT 10 ms, one HTTP 503 in 20. */
const MIXED = [...Array.from({ length: 19 }, (_, k) => timedRecord(100 + (400 * k) / 18, 10)), failedRecord()];

describe('toMeetSLO', () => {
  test('passes when every check holds; the verdict is recorded in the report', () => {
    const r = result(report(statsOf(MIXED)));
    const out = toMeetSLO(r);
    expect(out.pass).toBe(true);
    expect(out.message().split('\n')[0]).toBe('latency/short-prompts on the SIMULATOR (Qwen/Qwen3-0.6B): SLO met');
    expect(r.report.slo.map((e) => [e.profile, e.pass])).toEqual([['mlperf-standard', true]]);
    expect(() => expect(r).toMeetSLO()).not.toThrow();
  });

  test('the failure message lists every check with value, limit and verdict, the invalidity and the failures', () => {
    const r = result(
      report(statsOf(MIXED), {
        target: { ...report(statsOf([])).target, kind: 'endpoint', baseUrl: 'https://vllm.example/v1' },
        validity: { valid: false, reasons: ['schedule lag p99 12.00 ms > 10 ms: the client could not keep up with its schedule'] },
      }),
    );
    const out = toMeetSLO(r, { ttftP95Ms: 450, tpotP95Ms: 20, minSuccessRate: 0.99 });
    expect(out.pass).toBe(false);
    expect(out.message().split('\n')).toEqual([
      'latency/short-prompts on https://vllm.example/v1 (Qwen/Qwen3-0.6B): SLO not met',
      'SLO asserted limits: FAIL (asserted limits: ttft p95 <= 450 ms, tpot p95 <= 20 ms)',
      '  FAIL  TTFT p95                                 480 ms <= 450 ms',
      '  pass  TPOT p95                                10.0 ms <= 20.0 ms',
      '  FAIL  success rate                              95.0% >= 99.0%',
      '  pass  schedule lag p99 (client kept up)       0.81 ms <= 10.0 ms', // the failed request was 1 ms late
      'run invalid: schedule lag p99 12.00 ms > 10 ms: the client could not keep up with its schedule',
      '  to rerun validly: the client fell behind, not the server, so send less from this process: fewer requests or a lower rate or concurrency (BENCH_NUM_REQUESTS, BENCH_RATE, BENCH_CONCURRENCY, BENCH_DURATION), run on a quieter machine, or split the load over pods with `npx vitest-llm-d launch <suite> --parallelism N`',
      'failures: http_503 x1 (HTTP 503: overloaded)',
    ]);
    expect(() => expect(r).toMeetSLO({ ttftP95Ms: 450 })).toThrow(/FAIL {2}TTFT p95 +480 ms <= 450 ms/);
    // A second assertion of the same profile replaces its verdict; another profile is added.
    toMeetSLO(r, { ttftP95Ms: 500 });
    toMeetSLO(r, 'mlperf-interactive');
    expect(r.report.slo.map((e) => [e.profile, e.pass])).toEqual([
      ['asserted limits', true],
      ['mlperf-interactive', true],
    ]);
  });

  test('anything but a bench result fails with a hint', () => {
    const out = toMeetSLO({ stats: {} });
    expect(out.pass).toBe(false);
    expect(out.message()).toBe('toMeetSLO expects the result of `await bench.run(...)` or `await actuation.run(...)`');
  });
});
