/**
 * A config's description and the workload hooks that ran reach every report: summary.json,
 * junit.xml (properties), report.html (escaped: the description is user text), the llm-d
 * benchmark report (run.description and run.keywords, valid against the upstream schema) and
 * the terminal table.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, test } from 'vitest';
import type { HookReport, TestReport } from '../../lib/report/model.ts';
import { renderBenchmarkReports } from '../../lib/render/benchmark-report.ts';
import { renderHtml } from '../../lib/render/html-report.ts';
import { renderJunit } from '../../lib/render/junit.ts';
import { renderSummary } from '../../lib/render/summary.ts';
import { renderTable, TABLE_WIDTH, visibleWidth } from '../../lib/render/table.ts';
import type { RunReport } from '../../lib/report/run-report.ts';
import { runOf as failedRun, smallReport, TOOL } from './report-fixture.ts';
import { brValidator } from './br-schema.ts';

const TEXT = 'KV-cache sweep <script>alert("x")</script> & more';
const HOOKS: HookReport[] = [
  { hook: 'pre_workload', command: "echo 'preparing'", source: 'config.yaml hooks.pre_workload', exitCode: 0, signal: null, error: null, durationS: 0.012, log: 'hooks/sanity.pre_workload.log' },
  { hook: 'post_workload', command: 'exit 4', source: 'env BENCH_POST_WORKLOAD', exitCode: 4, signal: null, error: null, durationS: 0.005, log: 'hooks/sanity.post_workload.log' },
];

const report = (over: Partial<TestReport> = {}): TestReport => smallReport({ runDescription: { text: TEXT, keywords: ['kv-cache', 'p-d'] }, hooks: HOOKS, ...over });

const runOf = (r: TestReport): RunReport => failedRun(r, 'failed', 'post_workload hook of sanity failed (exit code 4)');

describe('the run description and hooks in every report', () => {
  test('summary.json: at the top and on the test, with the hooks', () => {
    const s = renderSummary(runOf(report())) as { run_description: unknown; tests: Array<Record<string, unknown>> };
    expect(s.run_description).toEqual({ text: TEXT, keywords: ['kv-cache', 'p-d'] });
    expect(s.tests[0]!.run_description).toEqual({ text: TEXT, keywords: ['kv-cache', 'p-d'] });
    expect(s.tests[0]!.hooks).toEqual(HOOKS);
    const bare = renderSummary(runOf(report({ runDescription: undefined, hooks: undefined }))) as Record<string, unknown> & { tests: Array<Record<string, unknown>> };
    expect(bare).not.toHaveProperty('run_description');
    expect(bare.tests[0]).not.toHaveProperty('hooks');
  });

  test('junit.xml: properties of the suite and the test case, escaped as XML', () => {
    const xml = renderJunit([runOf(report())]);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const props = (p: unknown): Record<string, string> => Object.fromEntries((p as { property: Array<{ name: string; value: string }> }).property.map((x) => [x.name, x.value]));
    const suite = props(doc.testsuites.testsuite.properties);
    expect(suite.run_description).toBe(TEXT);
    expect(suite.run_keywords).toBe('kv-cache, p-d');
    const tc = props(doc.testsuites.testsuite.testcase.properties);
    expect(tc.run_description).toBe(TEXT);
    expect(tc.run_keywords).toBe('kv-cache, p-d');
    expect(tc['hook.pre_workload']).toBe("pre_workload: exit code 0 in 0.012 s (hooks/sanity.pre_workload.log, from config.yaml hooks.pre_workload): echo 'preparing'");
    expect(tc['hook.post_workload']).toMatch(/^post_workload: exit code 4 in 0.005 s \(hooks\/sanity.post_workload.log, from env BENCH_POST_WORKLOAD\)/);
  });

  test('report.html: the description escaped, the keywords as tags, a row per hook', () => {
    const html = renderHtml(runOf(report()), null);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('Run description: KV-cache sweep &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(html).toContain('<span class="tag">kv-cache</span> <span class="tag">p-d</span>');
    expect(html).toContain('<h3>Workload hooks</h3>');
    expect(html).toContain('<span class="bad">exit code 4</span>');
    expect(html).toContain('<a href="hooks/sanity.pre_workload.log">');
  });

  test('the llm-d benchmark report: run.description verbatim (marked SIMULATOR on the simulator), run.keywords first; valid against v0.2.1', () => {
    const validate = brValidator();
    const [br] = renderBenchmarkReports(report(), { stamp: '2026-01-01T00-00-00Z', suite: 'config', tool: TOOL });
    const run = (br!.report as { run: { description: string; keywords: string[] } }).run;
    expect(run.description).toBe(`SIMULATOR (modeled, not measured on hardware): ${TEXT}`);
    expect(run.keywords.slice(0, 3)).toEqual(['kv-cache', 'p-d', 'vitest-llm-d']);
    expect(validate(br!.report)).toEqual([]);
    const endpoint = report({ target: { ...report().target, kind: 'endpoint', simulator: null } });
    expect((renderBenchmarkReports(endpoint, { stamp: 's', suite: 'config', tool: TOOL })[0]!.report as { run: { description: string } }).run.description).toBe(TEXT);
    const none = renderBenchmarkReports(report({ runDescription: undefined }), { stamp: 's', suite: 'config', tool: TOOL })[0]!.report as { run: { description: string } };
    expect(none.run.description).toMatch(/^SIMULATOR .*: config\/sanity$/);
  });

  test('a test that measured nothing (its pre hook failed): its hooks in summary.json, junit.xml and report.html; the description still at the top', () => {
    const failedHooks: HookReport[] = [{ ...HOOKS[0]!, command: 'exit 7', exitCode: 7, log: 'hooks/second.pre_workload.log' }, { ...HOOKS[1]!, exitCode: 0, log: 'hooks/second.post_workload.log' }];
    const run: RunReport = { ...runOf(report()), tests: [], runDescription: { text: TEXT, keywords: ['kv-cache'] }, failed: [{ name: 'second', state: 'failed', error: 'pre_workload hook of second failed (exit code 7): the workload was not run.', hooks: failedHooks }] };
    const s = renderSummary(run) as { run_description: unknown; failed_tests: Array<{ hooks: HookReport[] }> };
    expect(s.run_description).toEqual({ text: TEXT, keywords: ['kv-cache'] });
    expect(s.failed_tests[0]!.hooks.map((h) => h.exitCode)).toEqual([7, 0]);
    const xml = renderJunit([run]);
    expect(xml).toContain('name="hook.pre_workload" value="pre_workload: exit code 7 in 0.012 s (hooks/second.pre_workload.log');
    expect(xml).toContain('name="run_description"');
    expect(renderHtml(run, null)).toContain('pre_workload: exit code 7 in 0.012 s (hooks/second.pre_workload.log, from config.yaml hooks.pre_workload): exit 7');
  });

  test('the terminal table: a description line and a line per hook, within 80 columns', () => {
    const lines = renderTable(report()).split('\n');
    const text = lines.join('\n').replace(/\n {4,}/g, ' ');
    expect(text).toContain(`description: ${TEXT} [keywords: kv-cache, p-d]`);
    expect(text).toContain('hook pre_workload: exit code 0 in 0.012 s');
    expect(text).toContain('hook post_workload: exit code 4 in 0.005 s');
    for (const l of lines) expect(visibleWidth(l)).toBeLessThanOrEqual(TABLE_WIDTH);
  });
});
