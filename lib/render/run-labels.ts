/**
 * The run's description (a config's `description:` text and keywords) and the workload hooks
 * that ran around a test, as each report shows them: one line of text (terminal, junit.xml), and
 * HTML (report.html; the description is user text, so it is escaped like every other value).
 */
import { esc, table } from './html/escape.ts';
import type { HookReport, RunDescription, TestReport } from '../report/model.ts';
import type { Outcome, RunReport, TestLabels } from '../report/run-report.ts';

/** `text [keywords: a, b]`, or the keywords alone. */
export function descriptionLine(d: RunDescription): string {
  const keywords = d.keywords.length ? `keywords: ${d.keywords.join(', ')}` : '';
  if (d.text === null) return keywords;
  return keywords ? `${d.text} [${keywords}]` : d.text;
}

/** How a hook ended, in a few words: `exit code 0`, `killed: the test timed out`. */
export function hookOutcome(h: HookReport): string {
  if (h.error) return h.error;
  if (h.exitCode !== null) return `exit code ${h.exitCode}`;
  return `ended by ${h.signal ?? 'an unknown cause'}`;
}

/** Whether a hook succeeded: it exited by itself with code 0. */
export function hookPassed(h: HookReport): boolean {
  return h.exitCode === 0 && h.error === null;
}

/** One hook as one line: `pre_workload: exit code 0 in 0.02 s (hooks/x.pre_workload.log): <command>`. */
export function hookLine(h: HookReport): string {
  return `${h.hook}: ${hookOutcome(h)} in ${h.durationS} s (${h.log}, from ${h.source}): ${h.command}`;
}

/** A test's description and hooks: those its outcome carries (the reporters collect them), else its report's own. */
export function testLabels(t: Outcome<TestReport>): TestLabels {
  return { runDescription: t.runDescription ?? t.report.runDescription, hooks: t.hooks ?? t.report.hooks };
}

/** The run's description (one config file per run folder): the run's, else the one its tests carry, or null. */
export function runDescriptionOf(run: Pick<RunReport, 'tests' | 'runDescription'>): RunDescription | null {
  return run.runDescription ?? run.tests.map(testLabels).find((l) => l.runDescription)?.runDescription ?? null;
}

/** The description and hooks of one test in report.html; empty when it has neither. */
export function labelsHtml(r: TestLabels): string {
  const out: string[] = [];
  const d = r.runDescription;
  if (d) {
    const tags = d.keywords.map((k) => `<span class="tag">${esc(k)}</span>`).join(' ');
    out.push(`<p class="desc">Run description: ${d.text === null ? '' : esc(d.text)}${tags ? ` ${tags}` : ''}</p>`);
  }
  if (r.hooks?.length) {
    const rows = r.hooks.map((h) => [h.hook, { html: hookPassed(h) ? esc(hookOutcome(h)) : `<span class="bad">${esc(hookOutcome(h))}</span>` }, `${h.durationS} s`, { html: `<code>${esc(h.command)}</code>` }, h.source, { html: `<a href="${esc(h.log)}">${esc(h.log)}</a>` }]);
    out.push(`<h3>Workload hooks</h3>${table(['hook', 'ended', 'took', 'command', 'from', 'output'], rows)}`);
  }
  return out.join('\n');
}
