import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The client's measuring side (load, http, sse, apis, metrics, stats, ...) is out of bounds: the
// simulators are the ground truth of the fidelity tests. Config *validation* (zod issues to one
// line) is shared on purpose, file by file, so option errors read the same everywhere.
const ALLOWED = ['sim/', 'lib/tokenizer/', 'lib/errors/', 'lib/config/format-issues.ts', 'lib/config/closest-name.ts'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe('sim', () => {
  it('imports nothing from the client side (only sim, lib/tokenizer, lib/errors, the config error formatter and packages)', () => {
    const offending: string[] = [];
    for (const file of sources(join(ROOT, 'sim')).filter((f) => !f.includes('/test/'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const target = relative(ROOT, resolve(dirname(file), m[1]!));
        if (!ALLOWED.some((a) => target.startsWith(a))) offending.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
