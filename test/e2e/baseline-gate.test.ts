import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, test } from 'vitest';
import { runSuites, runSuitesOnceValid, workspace } from './run-suite.ts';

/** The simulator at a time scale: 0.5 gives TTFT about 40 ms and TPOT about 2 ms, well above the client's jitter. */
const targets = (timeScale: number): string => `
default: sim
targets:
  - name: sim
    tokenizer: words
    simulator: { tokenizer: words, time_scale: ${timeScale} }
`;

const QUICK = ['suites/latency', '-t', 'quick_validation'];
// This test is about the gate's verdict, not the client's validity (test/load/stall-watch.test.ts):
// the stalled-request floor is set out of reach, since with 40 requests one stall of the shared
// 2-core machine touching one request is past the default 1%, and the gate's message would then
// start with the invalid run instead. The schedule-lag floor stays.
const ENV = { BENCH_NUM_REQUESTS: '40', BENCH_WARMUP_REQUESTS: '2', BENCH_MAX_STALLED_SHARE: '1' };

type Props = Record<string, string>;
function junitCase(folder: string): { props: Props; failure?: { message: string } } {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase', 'property'].includes(n) }).parse(readFileSync(join(folder, 'junit.xml'), 'utf8'));
  const c = doc.testsuites.testsuite[0].testcase.find((x: { name: string }) => x.name === 'quick_validation');
  return { props: Object.fromEntries(c.properties.property.map((p: { name: string; value: string }) => [p.name, p.value])), failure: c.failure };
}

describe('BENCH_BASELINE: the regression gate as a release manager uses it', () => {
  test('same stack twice: a verdict and no regression; a 50% slower stack: the test fails naming each regressed metric; a bad baseline: one clear error', async () => {
    const dir = workspace(targets(0.5));
    const first = await runSuitesOnceValid(QUICK, dir, ENV);
    expect(first.code, first.output).toBe(0);
    const baseline = first.runDirs.latency!;

    // The same stack again, compared with the first run.
    const same = workspace(targets(0.5));
    const second = await runSuitesOnceValid(QUICK, same, { ...ENV, BENCH_BASELINE: baseline });
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain(`Baseline latency ${baseline.split('/').at(-1)!.replace(/-latency$/, '')}`);
    expect(second.output).toMatch(/\n0 regressions, \d+ improvements?, 0 not comparable/);
    const summary = JSON.parse(readFileSync(join(second.runDirs.latency!, 'summary.json'), 'utf8'));
    const gate = summary.tests[0].baseline;
    expect(gate).toMatchObject({ source: baseline, error: null, message: null, comparison: { schema: 'vitest-llm-d/comparison@1', regressions: 0 } });
    expect(gate.comparison.scenarios[0].metrics.find((m: { metric: string; stat: string }) => m.metric === 'tpot' && m.stat === 'p50').verdict).toBe('unchanged');
    const ok = junitCase(second.runDirs.latency!);
    expect(ok.failure).toBeUndefined();
    expect(ok.props['baseline.verdict']).toMatch(/^no regression: 0 regressions/);
    expect(ok.props['baseline.tpot.p50']).toMatch(/ms -> .* ms, [+-]\d+\.\d% \(95% CI .*\), tolerance 10%: unchanged$/);

    // A slower stack (every simulated time x1.5): TPOT and E2E regress; the SLO still passes, the gate fails the test.
    const slow = workspace(targets(0.75));
    // Exit 1 is expected here either way; a run the tool marks invalid (a stalled client fails its SLO) is run once more.
    const third = await runSuitesOnceValid(QUICK, slow, { ...ENV, BENCH_BASELINE: baseline });
    expect(third.code, third.output).toBe(1);
    expect(third.output).toContain('SLO mlperf-standard: PASS');
    expect(third.output).toMatch(/latency\/quick_validation regressed against .*:\n.*regressions? against baseline/);
    expect(third.output).toMatch(/tpot p50: [\d.]+ ms -> [\d.]+ ms \(\+\d+\.\d%, 95% CI \+[\d.]+%\.\.\+[\d.]+%; tolerance 10%\)/);
    const bad = junitCase(third.runDirs.latency!);
    expect(bad.failure?.message).toMatch(/^regression against .*tpot p50/);
    expect(bad.props['baseline.tpot.p50']).toMatch(/: regression$/);

    // A baseline that does not exist: the test fails with one line naming it; the measurements are still written.
    const missing = join(dir, 'no-such-run');
    const fourth = await runSuites(QUICK, workspace(targets(0.5)), { ...ENV, BENCH_BASELINE: missing });
    expect(fourth.code).toBe(1);
    expect(fourth.output).toContain(`latency/quick_validation: baseline not usable: ${missing}: `);
    expect(JSON.parse(readFileSync(join(fourth.runDirs.latency!, 'summary.json'), 'utf8')).tests[0].results.total_requests).toBe(40);
  }, 300_000);
});
