/*
 * Every relative link of the README, the CHANGELOG and docs/*.md resolves: to a file or folder of
 * the repository, and a `#anchor` to a heading of the Markdown file it names.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, anchorsOf, docFiles, linksOf, readDoc, slug } from './markdown.ts';

/** Where a link goes: the file (relative to the root) and the anchor, if any. */
function resolveLink(from: string, target: string): { file: string; anchor: string | null } {
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? from : relative(ROOT, join(ROOT, dirname(from), decodeURIComponent(path)));
  return { file, anchor: anchor ?? null };
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('relative links in the documentation', () => {
  test.each(docFiles())('%s: every relative link resolves', (from) => {
    const broken: string[] = [];
    for (const { target, line } of linksOf(readDoc(from))) {
      if (isExternal(target)) continue;
      const { file, anchor } = resolveLink(from, target);
      const where = `${from}:${line}: ${target}`;
      if (file.startsWith('..') || !existsSync(join(ROOT, file))) {
        broken.push(`${where}: no such file ${file}`);
        continue;
      }
      if (anchor === null) continue;
      if (!file.endsWith('.md') || statSync(join(ROOT, file)).isDirectory()) {
        broken.push(`${where}: an anchor into ${file}, which is not a Markdown file`);
      } else if (!anchorsOf(readDoc(file)).has(anchor)) {
        broken.push(`${where}: ${file} has no heading #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('the documentation files are the README, the CHANGELOG and the docs/ pages', () => {
    expect(docFiles()).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'docs/settings.md', 'docs/writing-suites.md']));
  });

  test('every docs/ page links back to the README, and the README links to every docs/ page', () => {
    const readmeTargets = new Set(linksOf(readDoc('README.md')).map((l) => resolveLink('README.md', l.target).file));
    for (const page of docFiles().filter((f) => f.startsWith('docs/'))) {
      expect(readmeTargets, `README links to ${page}`).toContain(page);
      if (page === 'docs/settings.md' || page === 'docs/architecture.md') continue; // generated, and kept as it is
      const targets = linksOf(readDoc(page)).map((l) => resolveLink(page, l.target).file);
      expect(targets, `${page} links back to the README`).toContain('README.md');
    }
  });
});

describe('the link checker itself', () => {
  test('links in code are not links; a link with a title is', () => {
    const text = ['[a](one.md)', '`[b](two.md)`', '```', '[c](three.md)', '```', '[d](four.md "title")'].join('\n');
    expect(linksOf(text).map((l) => l.target)).toEqual(['one.md', 'four.md']);
  });

  test("anchors are GitHub's: punctuation dropped, repeated headings numbered", () => {
    expect(slug("Regression gate: `BENCH_BASELINE`")).toBe('regression-gate-bench_baseline');
    expect(slug("Prefix cache: warm vs cold TTFT and the server's hit rate")).toBe('prefix-cache-warm-vs-cold-ttft-and-the-servers-hit-rate');
    expect([...anchorsOf('# A\n## Notes\n```\n## Not a heading\n```\n### Notes\n')]).toEqual(['a', 'notes', 'notes-1']);
  });

  test('a missing file and a missing anchor are both found', () => {
    expect(existsSync(join(ROOT, resolveLink('docs/slos.md', '../README.md').file))).toBe(true);
    expect(existsSync(join(ROOT, resolveLink('docs/slos.md', 'README.md').file))).toBe(false);
    expect(resolveLink('docs/slos.md', '#validity')).toEqual({ file: 'docs/slos.md', anchor: 'validity' });
    expect(anchorsOf(readDoc('docs/slos.md')).has('no-such-heading')).toBe(false);
  });
});
