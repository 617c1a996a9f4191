import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ALLOWED = ['lib/sim/', 'lib/tokenizer/', 'lib/errors/'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe('lib/sim', () => {
  it('imports nothing from the client side (only lib/sim, lib/tokenizer, lib/errors and packages)', () => {
    const offending: string[] = [];
    for (const file of sources(join(ROOT, 'lib/sim'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const target = relative(ROOT, resolve(dirname(file), m[1]!));
        if (!ALLOWED.some((a) => target.startsWith(a))) offending.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
