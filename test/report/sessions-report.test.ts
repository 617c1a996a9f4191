/**
 * Multi-turn sessions and a replayed trace reach every report: the terminal table (per-turn table,
 * session figures, the cut sessions said plainly, the trace's figures; within 80 columns),
 * summary.json (`sessions`, `trace`), junit.xml (`sessions.turn.<k>.*`, `trace.*`), report.html
 * (escaped tables, the TTFT-by-turn chart's data), the llm-d benchmark report (its `multi_turn` and
 * `session_performance` fields, valid against the upstream schema, and notes for what it has no
 * field for), and requests.jsonl (each turn's session, read back).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { styleText } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, test } from 'vitest';
import type { StageReport, TestReport } from '../../lib/report/model.ts';
import { renderBenchmarkReports } from '../../lib/render/benchmark-report.ts';
import { renderHtml } from '../../lib/render/html-report.ts';
import { renderJunit } from '../../lib/render/junit.ts';
import { renderSummary } from '../../lib/render/summary.ts';
import { renderTable, TABLE_WIDTH, visibleWidth } from '../../lib/render/table.ts';
import { recordFromLine, RequestsFile, type RequestLine } from '../../lib/run-folder/requests-file.ts';
import { makeRecord } from '../metrics/records.ts';
import { runOf, smallReport, TOOL } from './report-fixture.ts';
import { brValidator } from './br-schema.ts';
import { sessionsReport, traceReport, TURN_TTFT } from './sessions-fixture.ts';

const X = `<img src=x onerror=alert(1)></script><script>alert(2)</script>`;
const withSessions = (over: Partial<TestReport> = {}): TestReport => smallReport({ sessions: sessionsReport(), trace: traceReport(), ...over });
/** Text of wrapped terminal lines joined back: continuation indents become one space. */
const unwrapped = (lines: string[]): string => lines.join('\n').replace(/\n {4,}/g, ' ');

function stage(index: number): StageReport {
  const r = smallReport();
  return { index, label: `rate ${index + 1}/s`, description: 'd', offered: { rate: index + 1, concurrency: null }, durationS: 1, sent: 10, cut: 0, achievedSendRate: 1, eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, stats: r.stats, validity: { valid: true, reasons: [] }, stopRule: null, goodput: { profile: 'p', conditions: [], requests: 10, good: 10, fraction: 1, requestsPerS: 1, skipped: [] } };
}

describe('the terminal table', () => {
  test('a per-turn table, one line of session figures, the cut sessions said plainly, and the trace; within 80 columns', () => {
    const lines = renderTable(withSessions()).split('\n');
    const head = lines.findIndex((l) => /^ {2}turn +requests +TTFT p50 +TTFT p95 +TPOT p50 +cached$/.test(l));
    expect(head).toBeGreaterThan(0);
    const rows = lines.slice(head + 1, head + 5).map((l) => l.trim().split(/ +/));
    // TTFTs of turn k are TURN_TTFT[k-1] + 0..n-1 ms: p50 and p95 by linear interpolation.
    expect(rows).toEqual([
      ['1', '10/10', '205', '209', '10.0', '0.0%'],
      ['2', '9/10', '124', '128', '10.0', '50.0%'],
      ['3', '9/9', '84.0', '87.6', '10.0', '75.0%'],
      ['4', '4/4', '61.5', '62.9', '10.0', '-'],
    ]);
    const p50s = rows.map((r) => Number(r[2]));
    expect(p50s).toEqual([...p50s].sort((a, b) => b - a));
    expect(TURN_TTFT).toHaveLength(4);
    const text = unwrapped(lines);
    expect(text).toContain('sessions: 10 sessions started: 4 completed, 1 failed, 5 cut, 0 stopped; turns 33 sent of 40 planned, 7 cut; duration p50 2.10 s, p95 3.40 s; turns completed mean 3.10 per session');
    expect(text).toContain('5 sessions of 10 were cut by the stage\u2019s end before their last turn: 7 planned turns not sent (not counted as failures)');
    expect(text).toContain('mooncake trace examples/data/mooncake.jsonl: 200 requests replayed at speed-up 2x; trace span 120 s, replay span 60.0 s');
    expect(text).toContain('rows left out: no timestamp 3');
    expect(text).toContain('arrival lag behind the trace\u2019s timestamps p50 0.400 ms, p99 2.10 ms, max 3.20 ms (200 sends)');
    expect(text).toContain('cached prompt tokens: expected 12,288 from the trace\u2019s block reuse (512-token blocks), the server reported 11,776 (95.8% of expected); 51,200 prompt tokens sent');
    const colored = renderTable(withSessions({ sessions: sessionsReport(`-${'long-header-name'.repeat(8)}`), trace: traceReport(`/${'deep/'.repeat(30)}`) }), (k, t) => styleText(k, t));
    for (const l of colored.split('\n')) expect(visibleWidth(l), l).toBeLessThanOrEqual(TABLE_WIDTH);
  });

  test('no session cut says so; a test without sessions or trace prints neither', () => {
    const none = { ...sessionsReport(), cut: 0, turnsCut: 0 };
    expect(unwrapped(renderTable(smallReport({ sessions: none })).split('\n'))).toContain('no session was cut by the stage\u2019s end');
    const plain = renderTable(smallReport());
    expect(plain).not.toMatch(/TTFT p50 +TTFT p95 +TPOT p50/);
    expect(plain).not.toContain('sessions');
    expect(plain).not.toContain('trace');
  });
});

describe('summary.json', () => {
  test('sessions with per-turn results, and the trace; absent for a test without them; the schema is still summary@1', () => {
    const s = renderSummary(runOf(withSessions())) as { schema: string; tests: Array<Record<string, any>> };
    expect(s.schema).toBe('vitest-llm-d/summary@1');
    const ses = s.tests[0]!.sessions;
    expect(ses).toMatchObject({ header: 'x-session-id', started: 10, completed: 4, failed: 1, cut: 5, stopped: 0, turns_planned: 40, turns_sent: 33, turns_cut: 7, duration_s: { p50: 2.1, p95: 3.4 }, turns_completed: { mean: 3.1 } });
    expect(ses.by_turn.map((t: any) => t.turn)).toEqual([1, 2, 3, 4]);
    expect(ses.by_turn.map((t: any) => t.results.ttft_ms.p50)).toEqual([204.5, 124, 84, 61.5]);
    expect(ses.by_turn[1].results).toMatchObject({ total_requests: 10, successful: 9, failed: 1 });
    expect(ses.by_turn.map((t: any) => t.cached_fraction)).toEqual([0, 0.5, 0.75, null]);
    expect(s.tests[0]!.trace).toEqual({
      format: 'mooncake', file: 'examples/data/mooncake.jsonl', requests: 200, skipped: [{ reason: 'no timestamp', rows: 3 }], speedup: 2, trace_span_s: 120, replay_span_s: 60,
      arrival_lag_ms: traceReport().arrivalLagMs, block_size: 512, expected_cached_tokens: 12288, prompt_tokens: 51200, reported_cached_tokens: 11776,
    });
    const bare = renderSummary(runOf(smallReport())) as { tests: Array<Record<string, unknown>> };
    expect(Object.keys(bare.tests[0]!)).not.toContain('sessions');
    expect(Object.keys(bare.tests[0]!)).not.toContain('trace');
  });
});

describe('junit.xml', () => {
  test('session counts, properties per turn bucket and the trace, escaped as XML', () => {
    const xml = renderJunit([runOf(withSessions({ sessions: sessionsReport(X), trace: traceReport(X) }))]);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const props = new Map<string, string>(doc.testsuites.testsuite.testcase.properties.property.map((p: { name: string; value: string }) => [p.name, String(p.value)]));
    expect(props.get('sessions')).toBe(`10 sessions started: 4 completed, 1 failed, 5 cut, 0 stopped (header x-session-id${X})`);
    expect(props.get('sessions.cut')).toBe('5');
    expect(props.get('sessions.turns_cut')).toBe('7');
    expect(props.get('sessions.duration_s.p95')).toBe('3.4');
    expect([1, 2, 3, 4].map((k) => props.get(`sessions.turn.${k}.ttft_p50_ms`))).toEqual(['204.5', '124', '84', '61.5']);
    expect(props.get('sessions.turn.2.requests')).toBe('9/10');
    expect(props.get('sessions.turn.3.ttft_p95_ms')).toBe('87.6');
    expect(props.get('sessions.turn.1.tpot_p50_ms')).toBe('10');
    expect(props.get('sessions.turn.3.cached_fraction')).toBe('0.75');
    expect(props.get('sessions.turn.4.cached_fraction')).toBe('n/a');
    expect(props.get('trace.file')).toBe(`examples/data/mooncake${X}.jsonl`);
    expect(props.get('trace.speedup')).toBe('2');
    expect(props.get('trace.arrival_lag_ms.p50')).toBe('0.4');
    expect(props.get('trace.arrival_lag_ms.p99')).toBe('2.1');
    expect(props.get('trace.expected_cached_tokens')).toBe('12288');
    expect(props.get('trace.reported_cached_tokens')).toBe('11776');
    expect(props.get(`trace.skipped.no timestamp${X}`)).toBe('3');
    expect(renderJunit([runOf(smallReport())])).not.toContain('sessions.');
  });
});

describe('report.html', () => {
  test('a Sessions section with the per-turn table and the TTFT-by-turn chart, a Trace replay section; every string escaped', () => {
    const html = renderHtml(runOf(withSessions({ sessions: sessionsReport(X), trace: traceReport(X) })), null);
    expect(html).not.toContain(X);
    expect(html).toContain('<h3>Sessions</h3>');
    expect(html).toContain('<h3>Trace replay</h3>');
    const turns = html.match(/<table class="turns">.*?<\/table>/s)![0];
    expect(turns.match(/<tr>/g)).toHaveLength(5);
    expect(turns).toContain('<th class="n">2</th><td>9 / 10</td><td class="n">124</td><td class="n">128</td><td class="n">10.0</td><td class="n">50.0%</td><td class="n">96.0</td>');
    expect(html).toContain(`5 sessions of 10 were cut by the stage\u2019s end`);
    expect(html).toContain('x-session-id&lt;img src=x onerror=alert(1)&gt;');
    const specs = JSON.parse(html.match(/<script type="application\/json" id="llmd-charts">(.*?)<\/script>/s)![1]!) as Array<{ id: string; title: string; data: Array<Array<number | null>> }>;
    const chart = specs.find((c) => c.id === 't0-turns')!;
    expect(chart.title).toBe('TTFT by turn index');
    expect(chart.data).toEqual([[1, 2, 3, 4], [204.5, 124, 84, 61.5], [208.6, 127.6, 87.6, 62.85], [0, 50, 75, null]]);
    const trace = html.match(/<table class="kv trace">.*?<\/table>/s)![0];
    expect(trace).toContain('11,776 (95.8% of expected)');
    expect(trace).toContain('0.400 / 1.50 / 2.10 / 3.20 ms (200 sends)');
    const bare = renderHtml(runOf(smallReport()), null);
    expect(bare).not.toContain('<h3>Sessions</h3>');
    expect(bare).not.toContain('<h3>Trace replay</h3>');
  });
});

describe('the llm-d benchmark report', () => {
  const info = { stamp: '2026-01-01T00-00-00Z', suite: 'config', tool: TOOL };

  test('single stage: multi_turn and results.session_performance with inference-perf\u2019s meanings, notes for the rest; valid against v0.2.1', () => {
    const validate = brValidator();
    const r = withSessions();
    const [br] = renderBenchmarkReports({ ...r, workload: { ...r.workload, data: { ...r.workload.data, type: 'conversations', config: { type: 'conversations', turns: 4 } } } }, info);
    const rep = br!.report as any;
    expect(validate(rep)).toEqual([]);
    expect(rep.scenario.load.standardized.multi_turn).toEqual({ enabled: true, max_turns: { distribution: 'fixed', value: 4 } });
    expect(rep.results.session_performance.sessions).toEqual({
      total: 10, succeeded: 4, failed: 1, total_events: 40, total_events_completed: 10 + 9 + 9 + 4, total_events_cancelled: 7,
      session_duration: { units: 's', mean: 2.2, definition: expect.stringContaining('session duration'), min: 1.2, p50: 2.1, p95: 3.4, p99: 3.5, max: 3.5, count: 5 },
    });
    const said = rep.scenario.load.metadata.description as string;
    expect(said).toContain('The standard has no field for per-turn statistics (TTFT by turn index)');
    expect(said).toContain('Trace replay: mooncake trace examples/data/mooncake.jsonl');
    expect(said).toContain('The standard has no trace-replay fields');
    // With a turn count drawn from a distribution: the mean planned turns, as `other`.
    const [drawn] = renderBenchmarkReports(withSessions(), info);
    expect((drawn!.report as any).scenario.load.standardized.multi_turn).toEqual({ enabled: true, max_turns: { distribution: 'other', value: 4 } });
  });

  test('several stages: multi_turn on each, session_performance on none (the sessions span the stages), and the notes say so', () => {
    const validate = brValidator();
    const reports = renderBenchmarkReports(withSessions({ stages: [stage(0), stage(1)] }), info);
    expect(reports).toHaveLength(2);
    for (const { report } of reports) {
      const rep = report as any;
      expect(validate(rep)).toEqual([]);
      expect(rep.results.session_performance).toBeUndefined();
      expect(rep.scenario.load.standardized.multi_turn.enabled).toBe(true);
      expect(rep.scenario.load.metadata.description).toContain('no stage\u2019s report carries results.session_performance');
    }
    const [plain] = renderBenchmarkReports(smallReport(), info);
    expect((plain!.report as any).scenario.load.standardized.multi_turn).toBeUndefined();
  });
});

describe('requests.jsonl', () => {
  test('a turn\u2019s session is written and read back; a single request has none', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'llmd-sessions-')), 'requests.jsonl');
    const out = new RequestsFile(file);
    const clock = { perfMs: 0, hrtimeUs: 1, wallTime: '2026-01-01T00:00:00.000Z' };
    out.append('s', clock, makeRecord({ session: { id: `s-1${X}`, turn: 2, turns: 4, cut: true, end: 'cut' } }), null);
    out.append('s', clock, makeRecord(), null);
    out.close();
    const [turn, single] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestLine);
    expect(turn!.session).toEqual({ id: `s-1${X}`, turn: 2, turns: 4, cut: true, end: 'cut' });
    expect(recordFromLine(turn!, 0).session).toEqual({ id: `s-1${X}`, turn: 2, turns: 4, cut: true, end: 'cut' });
    expect(Object.keys(single!)).not.toContain('session');
    expect(recordFromLine(single!, 0).session).toBeUndefined();
  });
});
