/*
 * report.html's Sessions and Trace replay sections in a real browser (headless Debian Chromium
 * through playwright-core, from a file:// URL, as html-browser.test.ts opens the whole report): a
 * run of a four-turn sessions test with a replayed trace and a one-turn sessions test, rendered
 * with the series of a requests.jsonl written by the real writer whose session ids are hostile.
 * The TTFT-by-turn chart must draw one point per turn (read back from uPlot's cursor, which
 * snaps to the data points), and a `<script>` in a session id, the session header or the trace's
 * file name must stay text: no dialog, no element of its own, no error.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadHtmlSeries, renderHtml } from '../../lib/render/html-report.ts';
import type { RunReport } from '../../lib/report/run-report.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import { timedRecord } from '../slo/stats.ts';
import { runOf, smallReport } from './report-fixture.ts';
import { sessionsReport, traceReport } from './sessions-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = `<img src=x onerror=alert(1)></script><script>alert(2)</script>`;

let dir: string;
let reportFile: string;
let browser: Browser;

function buildRun(): RunReport {
  const many = smallReport({ scenario: 'chat', sessions: sessionsReport(HOSTILE), trace: traceReport(HOSTILE) });
  const one = { ...sessionsReport(), byTurn: sessionsReport().byTurn.slice(0, 1) };
  const single = smallReport({ scenario: 'one_turn', sessions: one });
  // requests.jsonl through the real writer: the turns of the chat test, their session ids hostile.
  const requests = new RequestsFile(join(dir, 'requests.jsonl'));
  for (let k = 0; k < 40; k++) {
    const session = { id: `s-${k % 10}${HOSTILE}`, turn: Math.floor(k / 10), turns: 4, cut: false };
    requests.append('chat', many.run.clock, timedRecord(100 + k, 10, 0, { seq: k, requestId: `chat-${k}`, session }), null);
  }
  requests.close();
  const run = runOf(many);
  return { ...run, runDir: dir, tests: [...run.tests, { report: single, state: 'passed' }] };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the HTML report's browser test needs Debian's Chromium (apt-get install chromium)`);
  dir = mkdtempSync(join(tmpdir(), 'llmd-html-sessions-'));
  const run = buildRun();
  reportFile = join(dir, 'report.html');
  writeFileSync(reportFile, renderHtml(run, loadHtmlSeries(dir)));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The x values uPlot's cursor reaches when swept across the plot: one per data point it draws. */
async function pointsUnderCursor(page: Page, id: string): Promise<string[]> {
  const over = page.locator(`#${id} .u-over`);
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  const seen: string[] = [];
  for (let k = 0; k <= 100; k++) {
    await page.mouse.move(box.x + 1 + ((box.width - 2) * k) / 100, box.y + box.height / 2);
    const x = await page.locator(`#${id} .u-legend tr.u-series`).first().locator('.u-value').innerText();
    // `-`: the cursor is on no point (uPlot's own `--` is replaced by the page's formatter).
    if (x !== '-' && x !== '--' && !seen.includes(x)) seen.push(x);
  }
  return seen;
}

describe('sessions and trace replay in report.html, in headless Chromium', () => {
  test('the TTFT-by-turn chart draws one point per turn; the tables show every figure; hostile strings are text', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load' });
    await page.waitForFunction(`document.querySelectorAll('.plot[data-rendered]').length === document.querySelectorAll('.plot').length`);

    // Drawn: a canvas with ink, and the cursor snaps to exactly the four turns (one for the one-turn test).
    const drawn = await page.evaluate<number>(`(() => {
      const c = document.querySelector('#t0-turns canvas');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      return n;
    })()`);
    expect(drawn).toBeGreaterThan(500);
    expect(await pointsUnderCursor(page, 't0-turns')).toEqual(['1.00', '2.00', '3.00', '4.00']);
    expect(await pointsUnderCursor(page, 't1-turns')).toEqual(['1.00']);
    const legend = await page.locator('#t0-turns .u-legend tr.u-series .u-label').allInnerTexts();
    expect(legend).toEqual(['turn index', 'TTFT p50', 'TTFT p95', 'cached share']);

    const section = page.locator('#t0');
    const rows = await section.locator('table.turns tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t').slice(0, 4))).toEqual([['1', '10 / 10', '205', '209'], ['2', '9 / 10', '124', '128'], ['3', '9 / 9', '84.0', '87.6'], ['4', '4 / 4', '61.5', '62.9']]);
    expect(await section.getByText('5 sessions of 10 were cut by the stage\u2019s end').count()).toBe(1);
    const trace = await section.locator('table.trace').innerText();
    expect(trace).toContain(`examples/data/mooncake${HOSTILE}.jsonl`);
    expect(trace).toContain('11,776 (95.8% of expected)');
    expect(await section.locator('code', { hasText: 'x-session-id' }).innerText()).toBe(`x-session-id${HOSTILE}`);

    // The hostile strings made no element and ran nothing.
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate<number>(`document.querySelectorAll('script').length`)).toBe(3);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
