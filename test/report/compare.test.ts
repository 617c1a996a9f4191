import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../cli/main.ts';
import { loadRunSamples } from '../../lib/baseline/baseline.ts';
import { renderSideBySideHtml, sideBySide } from '../../lib/baseline/compare-report.ts';
import { writeRun } from './synthetic-run.ts';

function io(): { out: string; err: string; io: { out(t: string): void; err(t: string): void } } {
  const r = { out: '', err: '', io: { out: (t: string) => void (r.out += t), err: (t: string) => void (r.err += t) } };
  return r;
}

describe('vitest-llm-d compare', () => {
  test('three runs side by side: values per run, changes against the first with CI and verdict; HTML and JSON written; exit 1 on a regression', async () => {
    const a = writeRun('latency', { seed: 50 });
    const b = writeRun('latency', { seed: 51 });
    const c = writeRun('latency', { seed: 52, slow: 1.3 });
    const out = mkdtempSync(join(tmpdir(), 'compare-'));
    const r = io();
    const code = await main(['compare', a, b, c, '--out', out], r.io);
    expect(r.err).toBe('');
    expect(code).toBe(1);
    expect(r.out).toContain(`comparison: ${join(out, 'compare.html')} (and compare.json)`);
    const model = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(model).toMatchObject({ schema: 'vitest-llm-d/compare@1', suite: 'latency', runs: [{ source: a }, { source: b }, { source: c }] });
    expect(model.regressions[0]).toBe(0);
    expect(model.regressions[1]).toBeGreaterThan(3);
    const tpot = model.scenarios[0].rows.find((x: { metric: string; stat: string }) => x.metric === 'tpot' && x.stat === 'p50');
    expect(tpot.values).toHaveLength(3);
    expect(tpot.values[2] / tpot.values[0]).toBeCloseTo(1.3, 1);
    expect(tpot.changes.map((m: { verdict: string }) => m.verdict)).toEqual(['unchanged', 'regression']);
    const html = readFileSync(join(out, 'compare.html'), 'utf8');
    expect(html).toContain('<span class="badge fail">REGRESSION</span>');
    expect(html).toContain('SIMULATOR');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  test('strings from the runs are escaped in the HTML', async () => {
    const a = await loadRunSamples(writeRun('latency', { seed: 60, scenario: '<img src=x onerror=alert(1)>' }));
    const b = await loadRunSamples(writeRun('latency', { seed: 61, scenario: '<img src=x onerror=alert(1)>' }));
    const html = renderSideBySideHtml(sideBySide([a, b]));
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  test('strings from the runs are shown with control characters escaped, in the terminal and the files', async () => {
    const evil = 'q\x1b[2J\x1b]0;title\x07';
    const a = writeRun('latency', { seed: 62, scenario: evil });
    const b = writeRun('latency', { seed: 63, scenario: evil });
    const out = mkdtempSync(join(tmpdir(), 'compare-'));
    const r = io();
    await main(['compare', a, b, '--out', out], r.io);
    expect(r.out).toContain('q\\x1b[2J\\x1b]0;title\\x07');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw escape bytes.
    for (const text of [r.out, r.err, readFileSync(join(out, 'compare.html'), 'utf8')]) expect(text).not.toMatch(/[\x07\x1b]/);
  });

  test('bad input: one clear error and exit 2 (too few runs, a missing run, runs of two suites)', async () => {
    const r1 = io();
    expect(await main(['compare', writeRun('latency', { seed: 70 })], r1.io)).toBe(2);
    expect(r1.err).toContain('two or more run folders are required, got 1');
    const r2 = io();
    expect(await main(['compare', writeRun('latency', { seed: 71 }), '/no/such/run'], r2.io)).toBe(2);
    expect(r2.err).toContain('/no/such/run: ');
    const r3 = io();
    const other = writeRun('throughput', { seed: 72 });
    expect(await main(['compare', writeRun('latency', { seed: 73 }), other], r3.io)).toBe(2);
    expect(r3.err).toMatch(/suite/);
    expect(r3.err).not.toMatch(/\n\s+at /);
  });
});
