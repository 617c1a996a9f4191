import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { BaselineError, compareRuns, loadRunSamples } from '../../lib/baseline/baseline.ts';
import type { Comparison } from '../../lib/baseline/comparison.ts';
import { formatComparison, regressionMessage } from '../../lib/baseline/format-comparison.ts';
import { toleranceFromEnv } from '../../lib/baseline/tolerance.ts';
import { root, writeRun } from './synthetic-run.ts';

async function compareFolders(a: string, b: string, options: Parameters<typeof compareRuns>[2] = {}): Promise<Comparison> {
  return compareRuns(await loadRunSamples(a), await loadRunSamples(b), options);
}

const verdicts = (c: Comparison, stage: string | null = null): Record<string, string> =>
  Object.fromEntries(c.scenarios.find((s) => s.stage === stage)!.metrics.map((m) => [`${m.metric}.${m.stat}`, m.verdict]));

describe('loadRunSamples', () => {
  test('reads a run folder (or its summary.json): measured requests only, window from the summary', async () => {
    const dir = writeRun('latency', { seed: 1, requests: 100, failEvery: 10 });
    const run = await loadRunSamples(dir);
    expect(run).toMatchObject({ suite: 'latency', targetKind: 'simulator', model: 'Qwen/Qwen3-0.6B', source: dir });
    expect(run.stamp).toMatch(/^2026-11-24T10-00-\d\dZ$/);
    const s = run.scenarios.get('latency_benchmark')!;
    expect(s.requests).toBe(100); // the 3 warm-up requests are left out
    expect(s.successful).toBe(90);
    expect(s.ttft.length).toBe(90);
    expect(s.tpot.length).toBe(90);
    expect(s.e2e.length).toBe(90);
    expect(s.itl.length).toBe(90 * 31);
    expect(s.outputTokens.length).toBe(100);
    expect(s.outputTokensSum).toBe(90 * 32);
    expect(s.windowSource).toBe('summary');
    expect(s.windowS).toBeGreaterThan(0);
    expect(s.stages.size).toBe(0);
    // TTFT from the file's times = first_chunk_ms - sent_ms, the dictionary's definition.
    expect(Math.min(...s.ttft)).toBeGreaterThan(10);
    const viaSummary = await loadRunSamples(join(dir, 'summary.json'));
    expect(viaSummary.scenarios.get('latency_benchmark')!.ttft).toEqual(s.ttft);
  });

  test('per-stage samples keyed by label; repeated trials of one label are pooled', async () => {
    const dir = writeRun('throughput', { seed: 2, requests: 40, stages: ['rate 1/s', 'rate 5/s', 'rate 5/s'] });
    const s = (await loadRunSamples(dir)).scenarios.get('latency_benchmark')!;
    expect([...s.stages.keys()]).toEqual(['rate 1/s', 'rate 5/s']);
    expect(s.stages.get('rate 1/s')!.requests).toBe(40);
    expect(s.stages.get('rate 5/s')!.requests).toBe(80);
    expect(s.requests).toBe(120);
    const w = s.stages.get('rate 1/s')!.windowS + s.stages.get('rate 5/s')!.windowS;
    expect(w).toBeCloseTo(s.windowS, 3);
  });

  test('errors name the file and what is wrong', async () => {
    const fail = async (p: string): Promise<string> => {
      const err = await loadRunSamples(p).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BaselineError);
      return (err as Error).message;
    };
    const missing = join(root, 'nope');
    expect(await fail(missing)).toBe(`${missing}: no such file or folder`);

    const empty = join(root, 'empty-folder');
    mkdirSync(empty);
    expect(await fail(empty)).toBe(`${empty}: not a run folder (no summary.json in it; expected results/<stamp>-<suite>/ with summary.json and requests.jsonl)`);

    const unreadable = join(root, 'unreadable');
    mkdirSync(join(unreadable, 'summary.json'), { recursive: true });
    expect(await fail(unreadable)).toMatch(new RegExp(`^${join(unreadable, 'summary.json')}: cannot read \\(EISDIR`));

    const other = join(root, 'other.json');
    writeFileSync(other, JSON.stringify({ schema: 'vitest-llm-d/benchmark-report@1' }));
    expect(await fail(other)).toBe(`${other}: not a run summary (schema "vitest-llm-d/benchmark-report@1", expected "vitest-llm-d/summary@1")`);

    const notJson = join(root, 'notjson.json');
    writeFileSync(notJson, '{');
    expect(await fail(notJson)).toMatch(new RegExp(`^${notJson}: not a run summary \\(not valid JSON, \\d+ bytes; expected the summary.json of a run folder`));
    // A key file given by mistake: named, with what is wrong, never its bytes.
    const keyFile = join(root, 'token.txt');
    writeFileSync(keyFile, 'sk-planted-key-bytes-0042');
    expect(await fail(keyFile)).toBe(`${keyFile}: not a run summary (not valid JSON, 25 bytes; expected the summary.json of a run folder, with "schema": "vitest-llm-d/summary@1")`);
    const keyJson = join(root, 'key.json');
    writeFileSync(keyJson, JSON.stringify({ schema: 'sk-planted-key-bytes-0042' }));
    expect(await fail(keyJson)).toBe(`${keyJson}: not a run summary (schema a string of 25 characters, expected "vitest-llm-d/summary@1")`);

    const noRequests = writeRun('latency', { seed: 3, requests: 5 });
    const { rmSync } = await import('node:fs');
    rmSync(join(noRequests, 'requests.jsonl'));
    expect(await fail(noRequests)).toBe(
      `${join(noRequests, 'requests.jsonl')}: missing beside ${join(noRequests, 'summary.json')}: comparing runs needs the raw samples of every request for the confidence interval (summary.json has only percentiles)`,
    );

    const broken = writeRun('latency', { seed: 4, requests: 5 });
    appendFileSync(join(broken, 'requests.jsonl'), '\n{"scenario":"latency_benchmark","warmup":false,\n');
    // 3 warm-up + 5 measured lines, a blank line 9, the cut-off line 10.
    expect(await fail(broken)).toBe(`${join(broken, 'requests.jsonl')}: line 10: not valid JSON (expected one request record per line)`);

    const notRecord = writeRun('latency', { seed: 5, requests: 5 });
    appendFileSync(join(notRecord, 'requests.jsonl'), '{"scenario":"latency_benchmark","warmup":false}\n');
    expect(await fail(notRecord)).toBe(`${join(notRecord, 'requests.jsonl')}: line 9: not a request record ("intended_ms" is missing, expected a number)`);
  });
});

describe('compareRuns end to end (two run folders)', () => {
  const base = writeRun('latency', { seed: 10 });

  test('no change (same workload, another seed): no regression', async () => {
    const c = await compareFolders(base, writeRun('latency', { seed: 11 }));
    expect(c.regressions).toBe(0);
    expect(c.notComparable).toBe(0);
    expect(c.scenarios).toHaveLength(1);
    expect(c.scenarios[0]!.metrics.map((m) => `${m.metric}.${m.stat}`)).toEqual([
      'ttft.p50', 'ttft.p95', 'ttft.p99', 'tpot.p50', 'tpot.p95', 'tpot.p99', 'itl.p50', 'itl.p95', 'e2e.p50', 'e2e.p95', 'e2e.p99', 'throughput.output', 'success_rate.rate',
    ]);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  test('a scenario measured with other definitions is compared with a warning naming both', async () => {
    const same = await compareFolders(base, writeRun('latency', { seed: 12, definitions: 'vitest-llm-d' }));
    expect(same.warnings).toEqual([]);
    const other = await compareFolders(base, writeRun('latency', { seed: 12, definitions: 'vllm' }));
    expect(other.warnings).toEqual([expect.stringMatching(/^latency_benchmark: definitions differ: baseline vitest-llm-d, current vllm; /)]);
    expect(formatComparison(other)).toContain('warning: latency_benchmark: definitions differ');
  });

  test('a real 20% regression (latencies x1.2): regressions with CIs containing 20%, and the failure message', async () => {
    // 1,200 requests a side: p99 rests on 12 samples beyond it (the gate judges a percentile only with >= 10).
    const c = await compareFolders(writeRun('latency', { seed: 10, requests: 1200 }), writeRun('latency', { seed: 12, slow: 1.2, requests: 1200 }));
    const v = verdicts(c);
    for (const k of ['ttft.p50', 'tpot.p50', 'tpot.p95', 'tpot.p99', 'itl.p50', 'itl.p95', 'e2e.p50', 'e2e.p95', 'e2e.p99']) expect(v[k], k).toBe('regression');
    // Closed loop: slower requests stretch the window, so throughput drops by 1/1.2 - 1 = -16.7%.
    expect(v['throughput.output']).toBe('regression');
    expect(v['success_rate.rate']).toBe('unchanged');
    const rows = c.scenarios[0]!.metrics;
    for (const m of rows.filter((x) => x.unit === 'ms' && (x.stat === 'p50' || x.stat === 'p95'))) {
      expect(m.ci![0] <= 0.2 && 0.2 <= m.ci![1], `${m.metric} ${m.stat} ${m.ci}`).toBe(true);
      expect(m.direction).toBe('lower_is_better');
    }
    // TTFT (lognormal, sigma 0.4) p95/p99 rest on the top 60 and 12 samples: their intervals are
    // wide, so +20% need not be significant there, but the interval holds it.
    const p95 = rows.find((x) => x.metric === 'ttft' && x.stat === 'p95')!;
    expect(p95.ci![0] <= 0.2 && 0.2 <= p95.ci![1], `ttft p95 ${p95.ci}`).toBe(true);
    const p99 = rows.find((x) => x.metric === 'ttft' && x.stat === 'p99')!;
    expect(p99.change!).toBeGreaterThan(0);
    expect(p99.ci![1], `ttft p99 ${p99.ci}`).toBeGreaterThan(0.1);
    expect(c.regressions).toBeGreaterThanOrEqual(10);
    const msg = regressionMessage(c)!;
    expect(msg.split('\n')[0]).toBe(`${c.regressions} regressions against baseline ${c.baseline.stamp} (${c.baseline.source}):`);
    expect(msg).toMatch(/\n {2}latency_benchmark: tpot p95: \d+\.\d ms -> \d+\.\d ms \(\+\d+\.\d%, 95% CI \+\d+\.\d%\.\.\+\d+\.\d%; tolerance 10%\)/);
    expect(msg).toMatch(/latency_benchmark: throughput: [\d.]+ tok\/s -> [\d.]+ tok\/s \(-\d+\.\d%, 95% CI -\d+\.\d%\.\.-\d+\.\d%; tolerance 10%\)/);
  });

  test('a noisy 5% change does not fail', async () => {
    const c = await compareFolders(base, writeRun('latency', { seed: 13, slow: 1.05, requests: 60 }));
    expect(c.regressions).toBe(0);
    expect(regressionMessage(c)).toBeNull();
  });

  test('an improvement (latencies x0.8) is an improvement, not a regression', async () => {
    const c = await compareFolders(base, writeRun('latency', { seed: 14, slow: 0.8 }));
    expect(c.regressions).toBe(0);
    const v = verdicts(c);
    expect(v['tpot.p50']).toBe('improvement');
    expect(v['e2e.p95']).toBe('improvement');
    expect(v['throughput.output']).toBe('improvement');
  });

  test('per-metric tolerance: a 20% regression within ttft=0.5 and e2e=0.3 passes those metrics only', async () => {
    const tolerance = toleranceFromEnv({ BENCH_BASELINE_TOLERANCE: 'ttft=0.5,e2e.p95=30%,0.1' });
    const c = await compareFolders(base, writeRun('latency', { seed: 12, slow: 1.2 }), { tolerance });
    const v = verdicts(c);
    expect(v['ttft.p50']).toBe('unchanged');
    expect(v['ttft.p95']).toBe('unchanged');
    expect(v['e2e.p95']).toBe('unchanged');
    expect(v['e2e.p50']).toBe('regression');
    expect(c.scenarios[0]!.metrics.find((m) => m.metric === 'e2e' && m.stat === 'p95')!.tolerance).toBe(0.3);
    expect(c.tolerances).toEqual({ default: 0.1, perMetric: { ttft: 0.5, 'e2e.p95': 0.3 } });
  });

  test('a success-rate drop of 5 points is a regression in absolute points', async () => {
    const c = await compareFolders(base, writeRun('latency', { seed: 15, failEvery: 20 }));
    const m = c.scenarios[0]!.metrics.find((x) => x.metric === 'success_rate')!;
    expect(m).toMatchObject({ verdict: 'regression', changeKind: 'absolute', direction: 'higher_is_better', tolerance: 0.01, baseline: 1, current: 0.95 });
    expect(regressionMessage(c)).toMatch(/success rate: 100\.00% -> 95\.00% \(-5\.00 pp, 95% CI -\d\.\d\d pp\.\.-\d\.\d\d pp; tolerance 1 pp\)/);
  });

  test('a non-streaming baseline: TTFT and ITL are not comparable (with the reason), the rest is compared', async () => {
    const c = await compareFolders(writeRun('latency', { seed: 16, stream: false }), writeRun('latency', { seed: 17 }));
    const ttft = c.scenarios[0]!.metrics.find((m) => m.metric === 'ttft' && m.stat === 'p95')!;
    expect(ttft.verdict).toBe('not comparable');
    expect(ttft.reason).toBe('the baseline has no TTFT samples (not streamed, or no successful request)');
    expect(verdicts(c)['e2e.p95']).toBe('unchanged');
    expect(c.notComparable).toBe(8); // ttft x3, tpot x3, itl x2 (TPOT needs the first chunk too)
    expect(c.regressions).toBe(0);
  });

  test('scenarios missing in the baseline are `no baseline`; none matching is an error; another suite is an error', async () => {
    const cur = writeRun('latency', { seed: 18, alsoScenarios: ['long_prompts'] });
    const c = await compareFolders(base, cur);
    expect(c.scenarios.map((s) => [s.scenario, s.status])).toEqual([
      ['latency_benchmark', 'compared'],
      ['long_prompts', 'no baseline'],
    ]);
    await expect(compareFolders(base, writeRun('latency', { seed: 19, scenario: 'other' }))).rejects.toThrow(
      `${base}: no scenario of the current run (other) is in the baseline (latency_benchmark); nothing to compare`,
    );
    const thr = writeRun('throughput', { seed: 20 });
    await expect(compareFolders(base, thr)).rejects.toThrow(BaselineError);
    await expect(compareFolders(base, thr)).rejects.toThrow(
      `${base}: baseline is suite "latency" but the current run is suite "throughput" (${thr}); compare runs of the same suite`,
    );
  });

  test('stage by stage: stages matched by label, a regression in one stage only', async () => {
    const b = writeRun('throughput', { seed: 21, stages: ['concurrency 1', 'concurrency 4'], requests: 200 });
    const stages = ['concurrency 1', 'concurrency 4', 'concurrency 16'];
    const cur = await loadRunSamples(writeRun('throughput', { seed: 22, stages, requests: 200 }));
    // Make the second stage 30% slower in TPOT by scaling its samples (loader output is plain data).
    const st = cur.scenarios.get('latency_benchmark')!.stages.get('concurrency 4')!;
    st.tpot = st.tpot.map((x) => x * 1.3);
    const c = compareRuns(await loadRunSamples(b), cur);
    expect(c.scenarios.map((s) => [s.stage, s.status])).toEqual([
      [null, 'compared'],
      ['concurrency 1', 'compared'],
      ['concurrency 4', 'compared'],
      ['concurrency 16', 'no baseline'],
    ]);
    expect(verdicts(c, 'concurrency 1')['tpot.p50']).toBe('unchanged');
    expect(verdicts(c, 'concurrency 4')['tpot.p50']).toBe('regression');
    expect(regressionMessage(c)).toMatch(/latency_benchmark \[concurrency 4\]: tpot p50: /);
    expect(compareRuns(await loadRunSamples(b), cur, { stages: false }).scenarios).toHaveLength(1);
  });

  test('deterministic for a seed', async () => {
    const cur = writeRun('latency', { seed: 23 });
    expect(await compareFolders(base, cur, { seed: 7 })).toEqual(await compareFolders(base, cur, { seed: 7 }));
  });

  test('formatComparison: every line fits 80 columns, with verdicts and reasons', async () => {
    const long = writeRun('throughput', { seed: 24, stages: ['rate 1/s', 'rate 1000.5/s with a very long stage label'], scenario: 'a_scenario_with_a_rather_long_name_for_tables', failEvery: 7 });
    const cur = writeRun('throughput', { seed: 25, slow: 1.3, stages: ['rate 1/s', 'rate 1000.5/s with a very long stage label'], scenario: 'a_scenario_with_a_rather_long_name_for_tables', stream: false });
    const c = await compareFolders(long, cur);
    const text = formatComparison(c);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(text).toContain('REGRESSION');
    expect(text).toContain('n/c');
    expect(text).toContain('the current run has no TTFT samples');
    expect(text).toMatch(/\n {2}metric +baseline +current +change +95% CI +verdict\n/);
    expect(text.split('\n').at(-1)).toMatch(/^\d+ regressions?, \d+ improvements?, \d+ not comparable(, \d+ with too few samples)?$/);
    for (const line of formatComparison(c, 60).split('\n')) expect(line.length).toBeLessThanOrEqual(60);
  });
});

describe('toleranceFromEnv', () => {
  test('unset: 10% relative; a bare value is the default; keys per metric; percentages', () => {
    expect(toleranceFromEnv({})).toEqual({ default: 0.1, perMetric: {} });
    expect(toleranceFromEnv({ BENCH_BASELINE_TOLERANCE: '0.2' })).toEqual({ default: 0.2, perMetric: {} });
    expect(toleranceFromEnv({ BENCH_BASELINE_TOLERANCE: 'ttft.p95=0.2, e2e=0.15,0.1,success_rate=2%,throughput=5%' })).toEqual({
      default: 0.1,
      perMetric: { 'ttft.p95': 0.2, e2e: 0.15, success_rate: 0.02, throughput: 0.05 },
    });
  });

  test.each([
    ['abc', '"abc": tolerance must be a number >= 0 like 0.1 or 10%'],
    ['ttft.p95=-1', '"ttft.p95=-1": tolerance must be a number >= 0 like 0.1 or 10%'],
    ['latency=0.1', '"latency=0.1": unknown metric "latency"'],
    ['throughput.p95=0.1', 'unknown metric "throughput.p95"'],
    ['ttft.p95.x=0.1', 'unknown metric "ttft.p95.x"'],
    ['0.1,0.2', '"0.2": a second default tolerance'],
    ['0.1,,e2e=1', 'empty entry'],
  ])('%s is a ConfigError naming BENCH_BASELINE_TOLERANCE', (value, reason) => {
    let err: unknown;
    try {
      toleranceFromEnv({ BENCH_BASELINE_TOLERANCE: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('env: BENCH_BASELINE_TOLERANCE: ');
    expect((err as Error).message).toContain(reason);
  });
});

describe('tail percentiles need samples beyond them', () => {
  test('300 requests: p95 is judged, p99 is "too few samples" (never a regression), and the table says so', async () => {
    const c = await compareFolders(writeRun('latency', { seed: 40 }), writeRun('latency', { seed: 41, slow: 1.5 }));
    const v = verdicts(c);
    for (const k of ['ttft.p99', 'tpot.p99', 'e2e.p99']) expect(v[k], k).toBe('too few samples');
    expect(v['e2e.p95']).toBe('regression');
    const p99 = c.scenarios[0]!.metrics.find((m) => m.metric === 'e2e' && m.stat === 'p99')!;
    expect(p99.reason).toBe('p99 needs >= 1000 samples per run (10 beyond it); 300 here');
    expect(c.notComparable).toBe(0);
    const table = formatComparison(c);
    expect(table).toContain('few n = too few samples to judge this percentile');
    expect(table).toMatch(/, 3 with too few samples$/);
  });
});
