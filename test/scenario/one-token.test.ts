/*
 * A workload of 1-token outputs (max_tokens 1) on the vLLM simulator, over loopback: goodput is
 * vLLM's count (every request good: vLLM's TPOT of a 1-token output is 0 and meets any limit), and
 * the TPOT limit is "not measurable: all outputs were 1 token" rather than a failure, in the
 * matcher and in the terminal table. A run where nothing could be judged (every request refused)
 * still fails.
 */
import { describe, expect, test } from 'vitest';
import { renderTable } from '../../lib/render/table.ts';
import { BenchResult } from '../../lib/scenario/bench-result.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { resolveAssertedSlo, resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import '../../lib/vitest/meta.ts';
import { matchers, toMeetSLO } from '../../lib/vitest/matchers.ts';
import { closedPort } from '../http/drive.ts';
import { runOn, simTarget, useSimRun } from './sim-target.ts';

expect.extend(matchers);

const ctx = useSimRun('llmd-one-token-');
const SLO = resolveScenarioSlo({ profile: 'mlperf-standard', min_success_rate: 0.95, max_schedule_lag_p99_ms: 50 }, {}, 't.yaml');
const scenario: ScenarioInput = { stream: true, num_requests: 10, warmup_requests: 1, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [1] } };

describe('1-token outputs', () => {
  test('goodput 10/10 as vLLM counts it; TPOT p95 not measurable, not failed', async () => {
    const report = await runOn('one-token', ctx.dir, ctx.requests, 'ones', simTarget(ctx.sim.url, 'words'), scenario, SLO);
    expect(report.stats.requests).toMatchObject({ total: 10, successful: 10 });
    expect(report.stats.tokens.output.max).toBe(1);
    expect(report.stats.latency.tpot.count).toBe(0);
    expect(report.goodput).toMatchObject({ conditions: ['ttft <= 2000 ms', 'tpot <= 100 ms'], requests: 10, good: 10, fraction: 1 });

    const result = new BenchResult(report, (spec) => resolveAssertedSlo(spec, SLO, {}, 't.yaml'));
    const out = toMeetSLO(result);
    const tpot = result.report.slo[0]!.checks.find((c) => c.name === 'TPOT p95')!;
    expect(tpot).toMatchObject({ pass: null, note: 'not measurable: all outputs were 1 token' });
    expect(out.message()).toContain('TPOT p95 not judged (not measurable: all outputs were 1 token)');
    // The run itself must be valid for the matcher to pass; on a loaded machine it may not be, which is not this test's subject.
    if (report.validity.valid) expect(out.pass, out.message()).toBe(true);
    expect(result.report.slo[0]!.pass).toBe(true);
    // The terminal table, its wrapped lines joined.
    const table = renderTable(report).replace(/\n +/g, ' ');
    expect(table).toContain('goodput');
    expect(table).toMatch(/10\/10 = 100\.0% met ttft <= 2000 ms, tpot <= 100 ms/);
    expect(table).toContain('SLO mlperf-standard: PASS on what could be judged; TPOT p95 not judged (not measurable: all outputs were 1 token)');
  });

  test('a run where no limit and no floor could be judged fails', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const report = await runOn('one-token', ctx.dir, ctx.requests, 'refused', simTarget(closed, 'words'), { ...scenario, num_requests: 3, warmup_requests: 0 }, SLO);
    expect(report.stats.requests).toMatchObject({ total: 3, successful: 0 });
    const result = new BenchResult(report, (spec) => resolveAssertedSlo(spec, SLO, {}, 't.yaml'));
    const out = toMeetSLO(result);
    expect(out.pass).toBe(false);
    expect(result.report.slo[0]!.checks.map((c) => [c.name, c.pass])).toEqual([
      ['TTFT p95', null],
      ['TPOT p95', null],
      ['success rate', false],
      ['schedule lag p99 (client kept up)', false],
    ]);
    expect(out.message()).toContain('TTFT p95, TPOT p95 not judged (not measurable: no successful request)');
  });
});
