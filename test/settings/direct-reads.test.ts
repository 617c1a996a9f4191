/**
 * Settings are read only through the registry (`lib/settings`): a source file that reads a
 * `BENCH_*` variable itself (`env.BENCH_X`, `env['BENCH_X']`, `envString(env, 'BENCH_X')`)
 * fails here with file:line, and so does a `BENCH_*` name the code uses but the registry does
 * not declare. The simulators (`sim/`) have their own flags and are not scanned.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SETTINGS } from '../../lib/settings/registry.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCANNED = ['api', 'lib', 'cli', 'fixtures', 'reporters', 'suites', 'bench', 'vitest.config.ts'];

/**
 * Files allowed to read a variable themselves, with the reason. The base error class reads
 * `BENCH_DEBUG` directly: the registry's errors are built on it, so it cannot import the registry.
 * The config suite is written as a user's suite would be, with public imports only: it passes
 * `BENCH_CONFIG` to `loadScenarios`, which checks it through the registry (and names it when the
 * file is missing).
 */
const ALLOWED: Record<string, string> = {
  'lib/errors/bench-error.ts': 'BENCH_DEBUG, below the registry',
  'suites/config/config.test.ts': 'BENCH_CONFIG, public imports only',
};

/** A read of a `BENCH_*` variable that bypasses the registry. */
const DIRECT_READS = [
  // env.BENCH_X, process.env.BENCH_X, this.env.BENCH_X: not an assignment, not a delete.
  /(?<!delete\s+\S*)\benv\??\.(BENCH_[A-Z0-9_]+)\b(?!\s*(?:=[^=]|\?\?=))/g,
  // env['BENCH_X']
  /\benv\??\.?\[\s*['"`](BENCH_[A-Z0-9_]+)/g,
  // envString(env, 'BENCH_X'), envEnum(...), ...: the by-name readers with a declared name.
  /\benv[A-Z]\w*\([^)]*?['"`](BENCH_[A-Z0-9_]+)['"`]/g,
  // const NAME_VAR = 'BENCH_X'; then env[NAME_VAR]: a name held to read it by hand.
  /^\s*(?:export\s+)?const\s+\w+\s*=\s*['"`](BENCH_[A-Z0-9_]+)['"`];/g,
];

function sources(path: string): string[] {
  const full = join(ROOT, path);
  if (statSync(full).isFile()) return [path];
  return readdirSync(full).flatMap((entry) => (entry === 'node_modules' ? [] : /\.(ts|js)$/.test(entry) || statSync(join(full, entry)).isDirectory() ? sources(join(path, entry)) : []));
}

const files = SCANNED.flatMap(sources).filter((f) => !f.startsWith('lib/settings/'));

describe('settings are read through the registry', () => {
  test('no source file reads a BENCH_* variable directly', () => {
    const found: string[] = [];
    for (const file of files) {
      if (ALLOWED[file]) continue;
      readFileSync(join(ROOT, file), 'utf8').split('\n').forEach((line, i) => {
        if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
        for (const re of DIRECT_READS) {
          for (const m of line.matchAll(re)) found.push(`${relative(ROOT, join(ROOT, file))}:${i + 1}: ${m[1]}`);
        }
      });
    }
    expect(found).toEqual([]);
  });

  test('every BENCH_* name in the code is declared', () => {
    const declared = new Set(Object.keys(SETTINGS));
    const unknown = new Set<string>();
    for (const file of files) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/\bBENCH_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        if (!declared.has(m[0])) unknown.add(`${file}: ${m[0]}`);
      }
    }
    expect([...unknown]).toEqual([]);
  });
});
