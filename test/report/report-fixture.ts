/**
 * A small `TestReport` for renderer tests that need a whole report around the section they check:
 * ten successful streamed requests (TTFT 100 ms, TPOT 10 ms) on the simulator, one stage, no SLO;
 * and a one-test `RunReport` around it. Override any field.
 */
import { readRunClock } from '../../lib/metrics/record.ts';
import type { TestReport } from '../../lib/report/model.ts';
import type { RunReport } from '../../lib/report/run-report.ts';
import { statsOf, timedRecord } from '../slo/stats.ts';

export const TOOL = { name: 'vitest-llm-d', version: '0.1.0', node: 'v20.20.0' };

/** The report; `over` replaces whole fields. */
export function smallReport(over: Partial<TestReport> = {}): TestReport {
  const stats = statsOf(Array.from({ length: 10 }, () => timedRecord(100, 10)));
  return {
    schema: 'vitest-llm-d/test-report@1', suite: 'config', scenario: 'sanity', description: null, timestamp: '2026-01-01T00:00:00.000Z',
    target: { name: 'simulator', kind: 'simulator', origin: 'default', baseUrl: 'http://127.0.0.1:1/v1', model: 'Qwen/Qwen3-0.6B', servedModels: [], backend: 'vllm', accelerator: null, notes: null, simulator: { profile: 'default', time_scale: 1 } },
    workload: { api: 'completions', stream: true, load: 'rate 1/s', loadConfig: {}, warmupRequests: 0, requests: 10, data: { type: 'synthetic', seed: 1, cells: [], tokenizer: { name: 'words', kind: 'stand-in', exact: false } }, overrides: [], notes: [] },
    stats, cells: [], stages: [], stop: null, goodput: null,
    run: { clock: readRunClock(), durationS: 1, stopped: null, sent: 10, offeredRate: 1, achievedSendRate: 1, eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, priority: { nice: 0, raised: false } },
    validity: { valid: true, reasons: [] }, slo: [], files: { requests: 'requests.jsonl' }, runDir: '/tmp/x',
    ...over,
  };
}

/** A suite run of the one test `r`, in `state` (with `error` when it failed). */
export function runOf(r: TestReport, state = 'passed', error?: string): RunReport {
  return {
    suite: r.suite, stamp: '2026-01-01T00-00-00Z', runDir: '/tmp/x', tool: TOOL, testFiles: [], tests: [{ report: r, state, ...(error ? { error } : {}) }], actuation: [], failed: [], skipped: [], environment: null,
  };
}
