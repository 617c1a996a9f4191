/*
 * The README's "Write your own suite" is written into an empty project and run word for word by
 * CI, so its form is fixed: the heading, one fenced block per file named by `file=<path>` in its
 * info string, the commands in `sh` blocks in the order to run them. Its scenarios (the YAML one
 * and the one written with defineScenario) are valid against the scenario schema.
 */
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { readDoc } from './markdown.ts';

/** The fenced blocks of a Markdown text: info string and body. */
function fencedBlocks(text: string): { info: string; body: string }[] {
  return [...text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```\s*$/gm)].map((m) => ({ info: m[1]!.trim(), body: m[2]! }));
}

const readme = readDoc('README.md');
const start = readme.indexOf('\n## Write your own suite');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const blocks = fencedBlocks(section);
const files = new Map(blocks.flatMap((b) => (/ file=(\S+)/.exec(b.info) ? [[/ file=(\S+)/.exec(b.info)![1]!, b.body] as const] : [])));
const commands = blocks.filter((b) => b.info === 'sh').flatMap((b) => b.body.split('\n').filter((l) => l.trim() !== ''));

describe('README: Write your own suite', () => {
  test('the section exists, with the three files and the commands in order', () => {
    expect(start).toBeGreaterThan(0);
    expect([...files.keys()]).toEqual(['vitest.config.ts', 'bench/my.test.ts', 'bench/my.yaml']);
    expect(blocks.find((b) => b.info.endsWith('file=vitest.config.ts'))?.info).toBe('ts file=vitest.config.ts');
    expect(blocks.find((b) => b.info.endsWith('file=bench/my.yaml'))?.info).toBe('yaml file=bench/my.yaml');
    expect(commands[0]).toBe('npm i -D vitest-llm-d vitest');
    expect(commands.at(-1)).toBe('npx vitest run');
    for (const c of commands) expect(c, 'one command per line, no comments').not.toMatch(/#|&&|\\$/);
  });

  test('it imports only the public API', () => {
    const imports = [...files.values()].flatMap((body) => [...body.matchAll(/from '([^']+)'/g)].map((m) => m[1]));
    expect(new Set(imports)).toEqual(new Set(['vitest/config', 'vitest-llm-d/config', 'vitest-llm-d']));
    expect(files.get('vitest.config.ts')).toContain('plugins: [llmd()]');
    const testFile = files.get('bench/my.test.ts')!;
    expect(testFile).toContain("import { defineScenario, expect, loadScenarios, test } from 'vitest-llm-d';");
    expect(testFile).toContain('loadScenarios(import.meta.url)');
    expect(testFile).toContain("name: 'small'");
    expect(testFile.match(/toMeetSLO\(\)/g)).toHaveLength(2);
  });

  test('the YAML scenario and the defineScenario one are valid scenarios, small enough for seconds', () => {
    const yaml = ScenarioFileSchema.parse(parseYaml(files.get('bench/my.yaml')!));
    const literal = /defineScenario\((\{[\s\S]*?\n\})\);/.exec(files.get('bench/my.test.ts')!)![1]!;
    const { name, ...keys } = new Function(`return (${literal});`)() as { name: string } & Record<string, unknown>;
    const defined = ScenarioFileSchema.parse({ scenarios: { [name]: keys } });
    for (const scenario of [...Object.values(yaml.scenarios), ...Object.values(defined.scenarios)]) {
      expect(scenario.num_requests).toBeLessThanOrEqual(20);
      expect(scenario.load).toMatchObject({ type: 'concurrency', concurrency: 1 });
      expect(scenario.data.type).toBe('synthetic');
    }
  });
});
