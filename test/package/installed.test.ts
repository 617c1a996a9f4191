/**
 * The published package, as a user gets it: `npm pack` (prepack builds dist/), installed with the
 * pinned Vitest into a fresh temporary project, then used only through its public entry points.
 * One pack and one install serve every check; the suite written there follows the README's
 * "Write your own suite" section word for word (see consumer-project.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  INSTALLS_PACKAGE,
  installCommand,
  packRepository,
  readmeSteps,
  ROOT,
  runFolders,
  scenarioNames,
  sh,
  shOk,
  type Step,
  type SuiteRun,
  vitestRun,
  writeStep,
} from './consumer-project.ts';

const SETUP_TIMEOUT_MS = 15 * 60_000;
const RUN_TIMEOUT_MS = 5 * 60_000;

let work: string;
/** The user's project folder (where the walkthrough's last `cd` left it). */
let project: string;
let steps: Step[];
/** The walkthrough's `npx vitest run` commands, in order, with the run folders they wrote. */
const suiteRuns: SuiteRun[] = [];
const read = (file: string): string => readFileSync(file, 'utf8');

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'llmd-installed-'));
  const packDir = join(work, 'pack');
  mkdirSync(packDir);
  const tarball = packRepository(packDir);
  project = join(work, 'project');
  mkdirSync(project);
  const section = readmeSteps(read(join(ROOT, 'README.md')));
  if (!section) throw new Error('README.md has no "Write your own suite" section: this test follows it word for word');
  steps = section;
  for (const step of steps) {
    if (step.kind === 'file') {
      writeStep(project, step);
      continue;
    }
    for (const command of step.commands) {
      if (INSTALLS_PACKAGE.test(command)) shOk(installCommand(command, tarball), project);
      else if (/^npx vitest run\b/.test(command)) suiteRuns.push(vitestRun(command, project));
      else shOk(command, project);
      const cd = /(?:^|&&\s*)cd\s+(\S+)\s*$/.exec(command);
      if (cd) project = resolve(project, cd[1]!);
    }
  }
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the installed package', () => {
  test('ships JavaScript and declarations, no TypeScript sources, and runs without tsx', () => {
    const pkg = join(project, 'node_modules/vitest-llm-d');
    const files = readdirSync(pkg, { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => /\.[cm]?tsx?$/.test(f) && !/\.d\.[cm]?ts$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['dist/api/index.js', 'dist/api/index.d.ts', 'dist/api/config.js', 'dist/api/reporters.js', 'bin/vitest-llm-d.js']));
    // The .d.ts files name their siblings as a published package's do: `.js`, never `.ts`.
    const declarations = files.filter((f) => f.endsWith('.d.ts')).map((f) => read(join(pkg, f)));
    expect(declarations.filter((d) => /["']\.\.?\/[^"'\n]*\.ts["']/.test(d))).toEqual([]);
    expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
    const manifest = JSON.parse(read(join(pkg, 'package.json')));
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
    expect(manifest.peerDependencies).toEqual({ vitest: '^4.1.0' });
  });

  test('the vitest-llm-d command runs from the installed package', () => {
    const help = shOk('npx vitest-llm-d --help', project);
    expect(help.output).toContain('Usage: vitest-llm-d <command>');
    expect(shOk('npx vitest-llm-d sim --help', project).output).toMatch(/simulator/i);
  });

  test('only the exports map is reachable; the public entry points load in plain Node', () => {
    writeFileSync(
      join(project, 'resolve.mjs'),
      `const out = {};
for (const s of process.argv.slice(2)) {
  try { out[s] = import.meta.resolve(s); } catch (err) { out[s] = err.code; }
}
out.config = Object.keys(await import('vitest-llm-d/config')).sort();
out.reporters = Object.keys(await import('vitest-llm-d/reporters')).sort();
console.log(JSON.stringify(out));
`,
    );
    const deep = ['vitest-llm-d/fixtures/index.js', 'vitest-llm-d/dist/api/index.js', 'vitest-llm-d/lib/package/paths.js', 'vitest-llm-d/bin/vitest-llm-d.js'];
    const publicOnes = ['vitest-llm-d', 'vitest-llm-d/config', 'vitest-llm-d/reporters', 'vitest-llm-d/package.json'];
    const out = JSON.parse(shOk(`node resolve.mjs ${[...publicOnes, ...deep].join(' ')}`, project).output);
    for (const s of deep) expect(out[s], s).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(out['vitest-llm-d']).toMatch(/node_modules\/vitest-llm-d\/dist\/api\/index\.js$/);
    expect(out['vitest-llm-d/config']).toMatch(/dist\/api\/config\.js$/);
    expect(out['vitest-llm-d/reporters']).toMatch(/dist\/api\/reporters\.js$/);
    expect(out.config).toContain('llmd');
    expect(out.reporters).toEqual(expect.arrayContaining(['createRunInfo', 'llmdReporters']));
  });

  test(
    'a consumer typechecks against the installed declarations, and a type error in one fails',
    () => {
      writeFileSync(join(project, 'consumer.ts'), CONSUMER);
      writeFileSync(join(project, 'consumer-error.ts'), CONSUMER_ERROR);
      const suiteFiles = steps.flatMap((s) => (s.kind === 'file' && /\.ts$/.test(s.path) ? [s.path] : []));
      writeFileSync(
        join(project, 'tsconfig.consumer.json'),
        JSON.stringify({
          compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', strict: true, noEmit: true, skipLibCheck: false },
          files: ['consumer.ts', 'consumer-error.ts', ...suiteFiles],
        }),
      );
      const tsc = sh(`node ${JSON.stringify(join(ROOT, 'node_modules/typescript/bin/tsc'))} -p tsconfig.consumer.json --pretty false`, project);
      const errors = tsc.output
        .split('\n')
        .map((l) => /^(\S[^(]*)\((\d+),\d+\): error (TS\d+)/.exec(l))
        .filter((m) => m !== null)
        // Other packages' declarations (users skip them with skipLibCheck) are not this package's to fix.
        .filter((m) => !m[1]!.startsWith('node_modules/') || m[1]!.startsWith('node_modules/vitest-llm-d/'))
        .map((m) => `${m[1]}:${m[2]}`);
      const marked = CONSUMER_ERROR.split('\n').flatMap((l, i) => (l.includes('// type error') ? [`consumer-error.ts:${i + 1}`] : []));
      expect(marked).toHaveLength(2);
      expect(errors, tsc.output).toEqual(marked);
      expect(tsc.code).not.toBe(0);
    },
    RUN_TIMEOUT_MS,
  );

  test('the suite runs against the embedded simulator and writes its run folder', () => {
    expect(suiteRuns.length, 'the walkthrough runs `npx vitest run`').toBeGreaterThan(0);
    for (const run of suiteRuns) expect(run.code, `${run.command}\n${run.output}`).toBe(0);
    const names = scenarioNames(steps);
    expect(names.length, 'one YAML scenario and one defineScenario').toBeGreaterThanOrEqual(2);
    const folders = suiteRuns.flatMap((r) => r.folders);
    expect(folders.length).toBeGreaterThan(0);
    const scenarios: string[] = [];
    for (const folder of folders) {
      for (const f of ['summary.json', 'junit.xml', 'report.html']) expect(existsSync(join(folder, f)), `${folder}/${f}`).toBe(true);
      const summary = JSON.parse(read(join(folder, 'summary.json')));
      expect(summary.target_kind).toBe('simulator');
      expect(summary.failed_tests).toEqual([]);
      for (const t of summary.tests) {
        expect(t, t.scenario).toMatchObject({ state: 'passed', target_kind: 'simulator', target_info: { kind: 'simulator' } });
        scenarios.push(t.scenario);
      }
      const junit = read(join(folder, 'junit.xml'));
      expect(junit).toMatch(/<testsuites [^>]*tests="[1-9]\d*" failures="0" errors="0"/);
      expect(junit).toContain('name="target_kind" value="SIMULATOR"');
      expect(junit).not.toContain('<failure');
      const html = read(join(folder, 'report.html'));
      expect(html).toContain('SIMULATOR');
      for (const t of summary.tests) expect(html).toContain(t.scenario);
    }
    expect(scenarios.sort()).toEqual(expect.arrayContaining(names.sort()));
  });

  test(
    'a suite whose SLO cannot be met fails the run: exit code 1, the failure in junit.xml',
    () => {
      writeStep(project, { kind: 'file', path: 'slo-fail/slo-fail.yaml', text: FAILING_YAML });
      writeStep(project, { kind: 'file', path: 'slo-fail/slo-fail.test.ts', text: FAILING_TEST });
      const before = new Set(runFolders(project));
      const run = sh('npx vitest run slo-fail', project);
      expect(run.code, run.output).toBe(1);
      const folders = runFolders(project).filter((f) => !before.has(f));
      expect(folders).toHaveLength(1);
      const junit = read(join(folders[0]!, 'junit.xml'));
      expect(junit).toMatch(/<testsuites [^>]*tests="1" failures="1"/);
      expect(junit).toMatch(/<testcase [^>]*name="unreachable"[\s\S]*<failure/);
      const summary = JSON.parse(read(join(folders[0]!, 'summary.json')));
      expect(summary.tests.map((t: { scenario: string; state: string }) => [t.scenario, t.state])).toEqual([['unreachable', 'failed']]);
      expect(summary.tests[0].slo[0].pass).toBe(false);
      // Output tokens were checked by the Qwen3 tokenizer's counting worker thread, started from dist/.
      expect(summary.tests[0].results.tokens.server_tokenizer_checked).toBe(2);
    },
    RUN_TIMEOUT_MS,
  );
});

/** Every public entry point, typed as a user's test and config would use them. */
const CONSUMER = `import { defineScenario, expect, loadScenarios, test, type BenchResult, type ScenarioDefinition, type ScenarioRef, type Scenarios } from 'vitest-llm-d';
import { llmd } from 'vitest-llm-d/config';
import { createRunInfo, llmdReporters, type RunInfo } from 'vitest-llm-d/reporters';
import { defineConfig } from 'vitest/config';

const definition: ScenarioDefinition = {
  name: 'small',
  num_requests: 2,
  load: { type: 'concurrency', concurrency: 1 },
  data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [8] },
};
const small: ScenarioRef = defineScenario(definition);
const fromYaml: Scenarios = loadScenarios(import.meta.url, 'bench/my.yaml');
const other: Scenarios = loadScenarios(new URL('./bench/my.yaml', import.meta.url));
const names: string[] = [...fromYaml.names, ...other.names];

function meetsEverything(result: BenchResult): void {
  expect(result).toMeetSLO();
  expect(result).toMeetSLO('mlperf-standard');
  expect(result).toMeetSLO({ e2e_max_s: 60 });
  expect(result).toNotRegress();
}

test('unbound test with a TypeScript scenario', async ({ bench }) => {
  meetsEverything(await bench.run(small));
});

fromYaml.test('bound test with a YAML scenario', async ({ bench }) => {
  meetsEverything(await bench.run(fromYaml.scenario(names[0]!)));
});

const run: RunInfo = createRunInfo();
export const reporters = llmdReporters(run);
export default defineConfig({ plugins: [llmd()] });
`;

/** Two mistakes the public types must reject, each on its marked line. */
const CONSUMER_ERROR = `import { defineScenario, expect, type BenchResult } from 'vitest-llm-d';

export function check(result: BenchResult): void {
  expect(result).toMeetSLO(42); // type error: an SLO is a profile name or limits
}

export const unnamed = defineScenario({ num_requests: 2 }); // type error: a scenario needs its name
`;

/** A scenario whose SLO no server meets: its end-to-end latency limit is one microsecond. */
const FAILING_YAML = `simulator: { time_scale: 0.05 }
scenarios:
  unreachable:
    num_requests: 2
    warmup_requests: 0
    load: { type: concurrency, concurrency: 1 }
    data: { type: synthetic, prompt_tokens: [16], max_tokens: [8] }
    slo: { min_success_rate: 1, limits: { e2e_max_s: 0.000001 } }
`;

const FAILING_TEST = `import { expect, loadScenarios } from 'vitest-llm-d';

const suite = loadScenarios(import.meta.url);

suite.test('unreachable', async ({ bench }) => {
  expect(await bench.run(suite.scenario('unreachable'))).toMeetSLO();
});
`;
