import { describe, expect, test } from 'vitest';
import { INSTALLS_PACKAGE, installCommand, PINNED_VITEST, readmeSteps, scenarioNames } from './consumer-project.ts';

const README = [
  '# vitest-llm-d',
  '```sh',
  '# not a heading: a comment in a block before the section',
  'npm run nothing',
  '```',
  '## Write your own suite in 15 lines',
  'In an empty folder:',
  '```sh',
  '$ npm init -y',
  '# a comment',
  '',
  'npm i -D vitest-llm-d vitest',
  '```',
  '```ts file=bench/my.test.ts',
  "import { defineScenario, loadScenarios } from 'vitest-llm-d';",
  "const small = defineScenario({ name: 'small', num_requests: 2 });",
  '```',
  '```yaml file=bench/my.yaml',
  'scenarios:',
  '  quick:',
  '    num_requests: 4',
  '```',
  '### Run it',
  '```sh',
  'npx vitest run',
  '```',
  '```text',
  'output, not a command',
  '```',
  '## Benchmarking a real endpoint',
  '```sh',
  'BENCH_BASE_URL=http://x npx vitest run',
  '```',
].join('\n');

describe('the README walkthrough the package test follows', () => {
  test('the section runs from its heading to the next heading of its level: files to write, commands to run', () => {
    const steps = readmeSteps(README)!;
    expect(steps).toEqual([
      { kind: 'sh', commands: ['npm init -y', 'npm i -D vitest-llm-d vitest'] },
      { kind: 'file', path: 'bench/my.test.ts', text: "import { defineScenario, loadScenarios } from 'vitest-llm-d';\nconst small = defineScenario({ name: 'small', num_requests: 2 });\n" },
      { kind: 'file', path: 'bench/my.yaml', text: 'scenarios:\n  quick:\n    num_requests: 4\n' },
      { kind: 'sh', commands: ['npx vitest run'] },
    ]);
    expect(scenarioNames(steps)).toEqual(['small', 'quick']);
  });

  test('a README without the section gives none', () => {
    expect(readmeSteps('# x\n## Write a suite\n```sh\nnpx vitest run\n```\n')).toBeNull();
  });

  test('the install goes to the tarball with the pinned Vitest', () => {
    expect(INSTALLS_PACKAGE.test('npm i -D vitest-llm-d')).toBe(true);
    expect(INSTALLS_PACKAGE.test('npm install --save-dev vitest vitest-llm-d')).toBe(true);
    expect(INSTALLS_PACKAGE.test('npx vitest-llm-d --help')).toBe(false);
    const flags = '--prefer-offline --no-audit --no-fund';
    expect(installCommand('npm i -D vitest-llm-d vitest', '/t/p.tgz')).toBe(`npm i -D "/t/p.tgz" vitest@${PINNED_VITEST} ${flags}`);
    expect(installCommand('npm i -D vitest-llm-d', '/t/p.tgz')).toBe(`npm i -D "/t/p.tgz" vitest@${PINNED_VITEST} ${flags}`);
  });
});
