/**
 * `vitest-llm-d check` and a run cannot disagree: the plan check prints for inference-perf's own
 * example configs (verbatim, test/fixtures/inference-perf) is what `suites/config` then sends,
 * stage by stage, under the same environment (stages shortened with BENCH_DURATION, the pause
 * with BENCH_PAUSE, on the fast simulator target).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkCli, checkedFiles } from '../config/check-cli.ts';
import { FAST_SIM_TARGETS, runSuites, workspace } from './run-suite.ts';

interface SummaryStage {
  label: string;
  sent: number;
  pause?: { plannedS: number; idleS: number };
}

describe('check agrees with the run', () => {
  for (const name of ['config-shared-prefix.yml', 'config-random.yml']) {
    test(`${name}: the stages check plans are the stages the run sends`, async () => {
      const dir = workspace(FAST_SIM_TARGETS);
      const file = `test/fixtures/inference-perf/${name}`;
      const env = { BENCH_TARGET: 'fast-sim', BENCH_TARGETS_FILE: join(dir, 'targets.yaml'), BENCH_DURATION: '3', BENCH_PAUSE: '0.5' };
      const checked = await checkCli(['--json', '--sample', '5', file], env);
      expect(checked.code, checked.stderr).toBe(0);
      const plan = checkedFiles(checked.stdout)[file]!;
      expect(plan.endpoint).toMatchObject({ kind: 'simulator', origin: expect.stringContaining('fast-sim') });
      const planned = plan.workloads[0]!.load.stages!;
      for (const s of planned) expect(s.exact).toBe(true);

      const run = await runSuites(['suites/config'], dir, { ...env, BENCH_CONFIG: file }, 180_000);
      expect(run.output).not.toMatch(/ConfigError|TargetError|TypeError|Test timed out/);
      const summary = JSON.parse(readFileSync(join(run.runDirs.config!, 'summary.json'), 'utf8')) as { tests: Array<{ stages: SummaryStage[] }> };
      const ran = summary.tests[0]!.stages;
      expect(ran.map((s) => [s.label, s.sent, s.pause?.plannedS ?? 0])).toEqual(planned.map((s) => [s.label, s.requests, s.pauseBeforeS]));
    });
  }
});
