/**
 * Reading the project's Markdown the way GitHub renders it: which files are documentation, the
 * text outside code, the links in it, and the anchors its headings get.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root folder. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** The documentation files, relative to the root: README.md, CHANGELOG.md and docs/*.md. */
export function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', 'CHANGELOG.md', ...docs.sort()];
}

/** A file's text, read from the root. */
export function readDoc(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

/** The text with fenced code blocks blanked out, so nothing inside them reads as a link or heading. */
export function withoutFences(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

/** One inline link: its target as written and the line it is on (1-based). */
export interface Link {
  target: string;
  line: number;
}

/** The inline links `[text](target)` outside code (fenced blocks and `code spans`). */
export function linksOf(text: string): Link[] {
  const links: Link[] = [];
  withoutFences(text)
    .split('\n')
    .forEach((line, i) => {
      const prose = line.replace(/`[^`]*`/g, '``');
      for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ target: m[1]!, line: i + 1 });
    });
  return links;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped but `-` and `_`, spaces to `-`. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a file's headings, with GitHub's `-1`, `-2` suffixes for repeated ones. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutFences(text).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}
