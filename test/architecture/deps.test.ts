import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The import rules of `.dependency-cruiser.cjs` (docs/architecture.md), through
 * dependency-cruiser's own API: the repository keeps them, and a tree that breaks them fails
 * with the rules' names, so the rules are known to bite.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RULES = join(ROOT, '.dependency-cruiser.cjs');
/** What `npm run deps` checks. */
const CHECKED = ['lib', 'sim', 'cli', 'fixtures', 'reporters', 'suites', 'bin', 'bench', 'test'];

/** The rule violations of `folders` under `baseDir`, as `rule: from -> to` (a cycle as its path). */
async function violations(baseDir: string, folders: string[]): Promise<string[]> {
  const tsConfig = join(baseDir, 'tsconfig.json');
  const options = await extractDepcruiseOptions(RULES);
  const result = await cruise(folders, { ...options, baseDir, tsConfig: { fileName: tsConfig } }, {}, { tsConfig: extractTSConfig(tsConfig) });
  if (typeof result.output === 'string') throw new Error('expected a cruise result object');
  return result.output.summary.violations.map((v) => `${v.rule.name}: ${v.cycle?.length ? [v.from, ...v.cycle.map((c) => c.name)].join(' -> ') : `${v.from} -> ${v.to}`}`);
}

describe('import rules', () => {
  it('the repository breaks none', async () => {
    expect(await violations(ROOT, CHECKED)).toEqual([]);
  }, 180_000);

  describe('a tree that breaks them', () => {
    let dir: string;
    const file = (path: string, text: string): void => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'deps-rules-'));
      file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', allowImportingTsExtensions: true, noEmit: true, verbatimModuleSyntax: true } }));
      // A cycle between two files of one room.
      file('lib/errors/a.ts', "import { b } from './b.ts';\nexport const a = (): number => b() + 1;\n");
      file('lib/errors/b.ts', "import { a } from './a.ts';\nexport const b = (): number => (a ? 1 : 0);\n");
      // The engine importing a simulator.
      file('sim/vllm/server.ts', 'export const serve = (): void => {};\n');
      file('lib/http/client.ts', "import { serve } from '../../sim/vllm/server.ts';\nexport const connect = (): void => serve();\n");
      // A foundation room importing a higher one, by a type-only import.
      file('lib/scenario/run.ts', 'export interface Plan { stages: number }\n');
      file('lib/stats/summary.ts', "import type { Plan } from '../scenario/run.ts';\nexport const stages = (p: Plan): number => p.stages;\n");
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('fails with the rules it breaks: a cycle, lib -> sim, a lower room -> a higher one', async () => {
      expect((await violations(dir, ['lib', 'sim'])).sort()).toEqual([
        'layer-foundation: lib/stats/summary.ts -> lib/scenario/run.ts',
        'lib-not-outward: lib/http/client.ts -> sim/vllm/server.ts',
        'no-circular: lib/errors/a.ts -> lib/errors/b.ts -> lib/errors/a.ts',
      ]);
    });
  });
});
