/*
 * The side-by-side metric definitions: the table of docs/slos.md is the one every report carries, and
 * report.html's section escapes what it shows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { definitionsHtml, definitionsMarkdown } from '../../lib/render/definitions.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('metric definitions side by side', () => {
  test('docs/slos.md "Metric dictionary" carries exactly the table the reports carry', () => {
    const page = readFileSync(join(ROOT, 'docs', 'slos.md'), 'utf8');
    const start = page.indexOf('\n## Metric dictionary\n');
    const end = page.indexOf('\n## ', start + 1);
    expect(start).toBeGreaterThan(0);
    const section = page.slice(start, end < 0 ? undefined : end);
    expect(section).toContain(definitionsMarkdown());
    for (const m of ['TTFT', 'TPOT', 'ITL', 'E2E', 'goodput']) expect(definitionsMarkdown()).toMatch(new RegExp(`^\\| ${m} \\|`, 'm'));
  });

  test('report.html: test names are escaped; the only markup is the page\u2019s own', () => {
    const html = definitionsHtml([{ scenario: '<img src=x onerror=alert(1)>', definitions: 'vllm' }]);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;: <strong>definitions: vllm');
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(['code', 'div', 'h2', 'p', 'section', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr'].sort());
  });
});
