/**
 * `llmd()` composes with the user's config: for each key the user left unset it adds what a
 * benchmark run needs, and a value the user set is kept (reporters: the plugin's come after the
 * user's own). Checked on the config Vitest itself resolves (`resolveConfig` of `vitest/node`,
 * the plugin's `config` hook merged as in any run).
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { resolveConfig } from 'vitest/node';
import type { TestUserConfig } from 'vitest/config';
import { llmd } from 'vitest-llm-d/config';
import { createRunInfo, SummaryReporter } from 'vitest-llm-d/reporters';
import { MEASURING_NODE_FLAGS } from '../../lib/load/measuring-process.ts';
import { tempDir } from '../config/temp-dir.ts';

const run = createRunInfo({ BENCH_RESULTS_DIR: '/tmp/llmd-plugin-config' });

async function resolved(user: TestUserConfig) {
  const { vitestConfig } = await resolveConfig({ config: false, root: tempDir().path }, { plugins: [llmd({ run })], test: user });
  return vitestConfig;
}

/** Reporter names as Vitest resolved them: a built-in by name, an instance by class. */
function reporterNames(reporters: unknown[]): string[] {
  return reporters.map((r) => (Array.isArray(r) ? String(r[0]) : (r as object).constructor.name));
}

/** `fileParallelism` as the user's config gave it (kept on the resolved config, not in its type). */
function fileParallelism(c: object): unknown {
  return (c as { fileParallelism?: unknown }).fileParallelism;
}

afterEach(() => vi.unstubAllEnvs());

describe('llmd() on a config that sets nothing', () => {
  test('adds the reporters after the default one, the run, the forks pool, one file at a time, the measuring flags and the timeouts', async () => {
    vi.stubEnv('BENCH_TEST_TIMEOUT_S', '');
    const c = await resolved({});
    expect(reporterNames(c.reporters)).toEqual(['default', 'InterruptReporter', 'ScrubErrorsReporter', 'ProgressReporter', 'SummaryReporter', 'JsonReporter', 'JunitReporter', 'BenchmarkReportReporter', 'HtmlReporter', 'PublishReporter']);
    expect(c.provide.llmdRun).toEqual(run);
    expect(c.pool).toBe('forks');
    expect(fileParallelism(c)).toBe(false);
    expect(c.execArgv).toEqual([...MEASURING_NODE_FLAGS]);
    expect(c.testTimeout).toBe(1_800_000);
    expect(c.hookTimeout).toBe(120_000);
  });

  test('the test timeout is BENCH_TEST_TIMEOUT_S', async () => {
    vi.stubEnv('BENCH_TEST_TIMEOUT_S', '90');
    expect((await resolved({})).testTimeout).toBe(90_000);
  });
});

describe("llmd() on a config with the user's own values", () => {
  test('keeps every value the user set; its reporters follow the user\'s own', async () => {
    const own = createRunInfo({ BENCH_RESULTS_DIR: '/tmp/llmd-own-run' });
    const mine = new SummaryReporter(own);
    const c = await resolved({
      reporters: ['dot', mine],
      provide: { llmdRun: own },
      pool: 'threads',
      fileParallelism: true,
      execArgv: ['--no-warnings'],
      testTimeout: 5_000,
      hookTimeout: 7_000,
      include: ['bench/**/*.test.ts'],
    });
    const names = reporterNames(c.reporters);
    expect(names.slice(0, 2)).toEqual(['dot', 'SummaryReporter']);
    expect(c.reporters[1]).toBe(mine);
    expect(names.slice(2)).toEqual(['InterruptReporter', 'ScrubErrorsReporter', 'ProgressReporter', 'SummaryReporter', 'JsonReporter', 'JunitReporter', 'BenchmarkReportReporter', 'HtmlReporter', 'PublishReporter']);
    expect(c.provide.llmdRun).toEqual(own);
    expect(c.pool).toBe('threads');
    expect(fileParallelism(c)).toBe(true);
    expect(c.execArgv).toEqual(['--no-warnings']);
    expect(c.testTimeout).toBe(5_000);
    expect(c.hookTimeout).toBe(7_000);
    expect(c.include).toEqual(['bench/**/*.test.ts']);
  });
});
