/*
 * One validity policy: a test whose numbers the tool marks invalid fails `toMeetSLO` with the
 * reason and how to rerun, whether the invalid stage is the only one or one of several, and
 * whichever stage the test judges. The client's falling behind is made deterministic by blocking
 * its thread for 800 ms as a stage starts (what a descheduled process does): the stage's first
 * requests go out 800 ms late, against a 200 ms schedule-lag limit (wide, so the other stage
 * stays valid on a loaded 2-core machine; when the machine still made it invalid, the sweep is run
 * again, up to three runs, since the test is about one invalid stage among valid ones).
 */
import { describe, expect, test } from 'vitest';
import { runLoad } from '../../lib/load/runner.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { renderJunit } from '../../lib/render/junit.ts';
import { renderTable } from '../../lib/render/table.ts';
import { BenchResult } from '../../lib/scenario/bench-result.ts';
import { runScenario, type ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { rerunAdvice, testValidity } from '../../lib/scenario/validity.ts';
import { resolveAssertedSlo, resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import '../../lib/vitest/meta.ts';
import { matchers, toMeetSLO } from '../../lib/vitest/matchers.ts';
import { TIMEOUTS } from '../http/drive.ts';
import { simTarget, useSimRun } from './sim-target.ts';

expect.extend(matchers);

const STALL_MS = 800;
const SLO = resolveScenarioSlo({ limits: { e2e_p95_ms: 5000 }, min_success_rate: 0.95, max_schedule_lag_p99_ms: 200 }, {}, 't.yaml');
/** What `runSuitesOnceValid` (test/e2e/run-suite.ts) looks for to rerun a suite the tool marked invalid. */
const RERUN_MARK = /\brun invalid: /;

const ctx = useSimRun('llmd-stage-validity-');

/** Runs `load` with the client's thread blocked for STALL_MS as stage `stalled` starts. */
async function stalledRun(name: string, load: ScenarioInput['load'], stalled: number): Promise<BenchResult> {
  const report: TestReport = await runScenario({
    suite: 'validity',
    name,
    scenario: { stream: true, num_requests: 20, warmup_requests: 0, load, data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [8] } },
    target: simTarget(ctx.sim.url, 'words'),
    slo: SLO,
    timeouts: TIMEOUTS,
    runDir: ctx.dir,
    requests: ctx.requests,
    overrides: [],
    seedSalt: name,
    driver: (o) =>
      runLoad({
        ...o,
        onStageStart(index, start) {
          o.onStageStart?.(index, start);
          if (index === stalled) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, STALL_MS);
        },
      }),
  });
  return new BenchResult(report, (spec) => resolveAssertedSlo(spec, SLO, {}, 't.yaml'));
}

describe('a test with an invalid stage', () => {
  test('multi-stage: one stage invalid fails the test, judged whole or by any stage, with the reason and how to rerun', async () => {
    let result = await stalledRun('sweep', { type: 'sweep', concurrency: [1, 2] }, 1);
    for (let run = 2; run <= 3 && !result.report.stages[0]!.validity.valid; run++) result = await stalledRun(`sweep-${run}`, { type: 'sweep', concurrency: [1, 2] }, 1);
    const r = result.report;
    expect(r.stages.map((s) => s.label)).toEqual(['concurrency 1', 'concurrency 2']);
    expect(r.stages[0]!.validity.reasons).toEqual([]);
    expect(r.stages[1]!.validity.valid).toBe(false);
    expect(r.stages[1]!.validity.reasons[0]).toMatch(/^schedule lag p99 \d+\.\d+ ms > 200 ms: the client could not keep up/);
    expect(r.validity.valid).toBe(false);
    expect(r.validity.reasons[0]).toMatch(/^concurrency 2: schedule lag p99/);

    const whole = toMeetSLO(result);
    expect(whole.pass).toBe(false);
    const message = whole.message();
    expect(message).toMatch(RERUN_MARK);
    expect(message).toContain(`run invalid: ${r.validity.reasons.join('; ')}`);
    expect(message).toContain('fewer requests or a lower rate or concurrency (BENCH_NUM_REQUESTS, BENCH_RATE, BENCH_CONCURRENCY, BENCH_DURATION)');
    expect(message).toContain('a quieter machine');
    expect(message).toContain('npx vitest-llm-d launch <suite> --parallelism N');

    // The valid stage judged alone: its own limits and lag hold, and it fails all the same.
    const first = result.stage('concurrency 1');
    const out = toMeetSLO(first);
    expect(out.pass).toBe(false);
    expect(r.slo.find((e) => e.profile === 'limits @ concurrency 1')!.pass).toBe(true);
    expect(out.message().split('\n')[0]).toBe(`validity/${r.scenario} on the SIMULATOR (Qwen/Qwen3-0.6B): SLO not met: its limits hold but the measurement is invalid`);
    expect(out.message()).toMatch(/run invalid: concurrency 2: schedule lag p99/);
    expect(() => expect(first).toMeetSLO()).toThrow(RERUN_MARK);

    // Every number is still reported, the invalid stage marked as such.
    expect(r.stages[1]!.stats.requests.total).toBe(20);
    expect(renderTable(r)).toMatch(/INVALID RUN: concurrency 2: schedule lag p99/);
    const junit = renderJunit([{ suite: 'validity', stamp: 's', runDir: ctx.dir, tool: { name: 't', version: '0', node: process.version }, testFiles: [], tests: [{ report: r, state: 'failed', error: message }], actuation: [], failed: [], skipped: [], environment: null }]);
    expect(junit).toMatch(/name="stage.2 concurrency 2" value="[^"]*INVALID: schedule lag p99/);
    expect(junit).toMatch(/<failure message="[^"]*invalid run: concurrency 2: schedule lag p99/);
  });

  test('single-stage: the same lag fails the same way', async () => {
    const result = await stalledRun('single', { type: 'concurrency', concurrency: 2 }, 0);
    expect(result.report.stages).toHaveLength(1);
    expect(result.report.validity.reasons[0]).toMatch(/^schedule lag p99 \d+\.\d+ ms > 200 ms/);
    const out = toMeetSLO(result);
    expect(out.pass).toBe(false);
    expect(out.message()).toMatch(RERUN_MARK);
    expect(out.message()).toContain('--parallelism N');
  });
});

describe('testValidity', () => {
  const stage = (label: string, ...reasons: string[]) => ({ label, validity: { valid: reasons.length === 0, reasons } });

  test('any invalid stage makes the test invalid, each reason under its stage; a run that stopped early is invalid', () => {
    expect(testValidity([stage('a'), stage('b', 'lag'), stage('c', 'stall', 'rate')], null)).toEqual({ valid: false, reasons: ['b: lag', 'c: stall', 'c: rate'] });
    expect(testValidity([stage('a', 'lag')], null)).toEqual({ valid: false, reasons: ['lag'] });
    expect(testValidity([stage('a'), stage('b')], null)).toEqual({ valid: true, reasons: [] });
    expect(testValidity([stage('a'), stage('b')], 'cancelled: test timeout')).toEqual({ valid: false, reasons: ['stopped early: cancelled: test timeout'] });
  });

  test('a search trial run again for being invalid does not count; its rerun does', () => {
    expect(testValidity([stage('rate 4/s', 'lag'), stage('rate 4/s'), stage('rate 8/s')], null, new Set([0]))).toEqual({ valid: true, reasons: [] });
    expect(testValidity([stage('rate 4/s', 'lag'), stage('rate 4/s', 'lag')], null, new Set([0]))).toEqual({ valid: false, reasons: ['rate 4/s: lag'] });
  });

  test('rerun advice for a client that fell behind; none for a run that only stopped early', () => {
    expect(rerunAdvice({ valid: false, reasons: ['b: schedule lag p99 260.00 ms > 200 ms'] })).toMatch(/BENCH_RATE.*quieter machine.*--parallelism N/);
    expect(rerunAdvice({ valid: false, reasons: ['stopped early: target unreachable: 5 requests in a row failed'] })).toBeNull();
    expect(rerunAdvice({ valid: true, reasons: [] })).toBeNull();
  });
});
