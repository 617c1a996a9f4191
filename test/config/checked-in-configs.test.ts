/**
 * Every YAML config checked into the repository parses against its schema, with an empty
 * environment (so `${VAR}` references need defaults), and every target in a targets file
 * resolves. Suite files (`suites/**`) are scenario files; example files are told apart by their
 * top-level key.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { loadScenarioFile } from '../../lib/config/resolve-scenarios.ts';
import { loadTargetsFile, resolveTarget } from '../../lib/config/resolve-target.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** YAML files under `dir` (relative to the repository root), as repository-relative paths. */
function yamlFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(dir, name))
    .sort();
}

/** Which schema a config file follows. */
function kindOf(file: string): 'targets' | 'scenarios' {
  if (file.startsWith('suites/')) return 'scenarios';
  const top: unknown = parse(readFileSync(join(ROOT, file), 'utf8'));
  if (top !== null && typeof top === 'object' && 'targets' in top) return 'targets';
  if (top !== null && typeof top === 'object' && 'scenarios' in top) return 'scenarios';
  throw new Error(`${file}: neither a targets file (targets:) nor a scenario file (scenarios:)`);
}

const examples = yamlFiles('examples');
const suites = yamlFiles('suites');
const files = [...examples, ...suites].map((file) => ({ file, kind: kindOf(file) }));

describe('checked-in configs', () => {
  test('the examples include a targets file and a scenario file', () => {
    expect(files.filter((f) => f.file.startsWith('examples/')).map((f) => f.kind).sort()).toEqual(
      expect.arrayContaining(['scenarios', 'targets']),
    );
  });

  test.each(files.filter((f) => f.kind === 'targets'))('$file parses, and each of its targets resolves', ({ file }) => {
    const { value } = loadTargetsFile(file, { cwd: ROOT, env: {} });
    for (const { name } of value.targets) {
      const selection = resolveTarget({ cwd: ROOT, env: { BENCH_TARGETS_FILE: file, BENCH_TARGET: name } });
      expect(selection.origin).toBe(`${file}#${name}`);
      expect(selection.kind).toBe(name === 'simulator' || value.targets.find((t) => t.name === name)?.simulator ? 'simulator' : 'endpoint');
    }
    // The file's own choice when nothing picks one.
    expect(resolveTarget({ cwd: ROOT, env: { BENCH_TARGETS_FILE: file } }).origin).toMatch(new RegExp(`^${file}#`));
  });

  test.each(files.filter((f) => f.kind === 'scenarios'))('$file parses as a scenario file', ({ file }) => {
    const loaded = loadScenarioFile(file, { cwd: ROOT, env: {} });
    expect(Object.keys(loaded.config.scenarios).length).toBeGreaterThan(0);
    expect(loaded.overrides).toEqual([]);
  });
});
