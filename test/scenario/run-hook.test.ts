/**
 * Workload hooks run as real `bash -c` processes: exit code, output kept in the run folder with
 * secrets redacted, the failure message, and the process group killed when the test's signal
 * aborts (a hook that would hang the run).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hookEnv } from '../../lib/config/well-lit/hooks.ts';
import { hookError, hookPassed, runHook } from '../../lib/scenario/run-hook.ts';
import type { HookRun } from '../../lib/scenario/run-hook.ts';

const SECRET = 'sk-hook-test-0123456789';

function hookRun(command: string, over: Partial<HookRun> = {}): HookRun {
  const runDir = mkdtempSync(join(tmpdir(), 'hook-test-'));
  const env = hookEnv({ PATH: process.env.PATH, OPENAI_API_KEY: SECRET }, {
    hook: 'pre_workload', workload: 'grid', test: 'grid.isl128', runDir, description: { text: 'A run <x>', keywords: ['a', 'b'] },
  });
  return { hook: 'pre_workload', command, source: 'config.yaml hooks.pre_workload', runDir, log: 'hooks/grid.isl128.pre_workload.log', env, secrets: [SECRET], signal: new AbortController().signal, ...over };
}

describe('runHook', () => {
  test('runs the command with bash, in an environment naming what it runs around; its output goes to the run folder, secrets redacted', async () => {
    const h = hookRun('echo "$BENCH_HOOK $BENCH_HOOK_WORKLOAD $BENCH_HOOK_TEST $LLMDBENCH_DESCRIPTION_TEXT [$LLMDBENCH_DESCRIPTION_KEYWORDS]"; echo "key $OPENAI_API_KEY" >&2; [[ -d "$BENCH_HOOK_RUN_DIR" ]] && echo dir ok');
    const { report, output } = await runHook(h);
    expect(report).toMatchObject({ hook: 'pre_workload', exitCode: 0, signal: null, error: null, log: 'hooks/grid.isl128.pre_workload.log', source: 'config.yaml hooks.pre_workload' });
    expect(hookPassed(report)).toBe(true);
    const log = readFileSync(join(h.runDir, h.log), 'utf8');
    expect(log).toBe(output);
    expect(log).toContain('pre_workload grid grid.isl128 A run <x> [a,b]\n');
    expect(log).toContain('key ***\n');
    expect(log).toContain('dir ok\n');
    expect(log).not.toContain(SECRET);
  });

  test('a command naming a secret is reported redacted', async () => {
    const { report } = await runHook(hookRun(`true ${SECRET}`));
    expect(report.command).toBe('true ***');
  });

  test('a failing hook: its exit code, and an error quoting the end of its output and naming its log', async () => {
    const h = hookRun('for i in $(seq 1 30); do echo "line $i"; done; exit 3');
    const result = await runHook(h);
    expect(result.report.exitCode).toBe(3);
    expect(hookPassed(result.report)).toBe(false);
    const err = hookError(result, 'grid.isl128', 'the workload was not run', join(h.runDir, h.log));
    const [first, ...rest] = err.message.split('\n');
    expect(first).toBe('pre_workload hook of grid.isl128 failed (exit code 3): the workload was not run. Command: for i in $(seq 1 30); do echo "line $i"; done; exit 3');
    expect(rest[0]).toBe('Its output (last 20 lines):');
    expect(rest).toContain('  line 30');
    expect(rest).toContain('  line 11');
    expect(rest).not.toContain('  line 10');
    expect(rest.at(-1)).toBe(`Log: ${join(h.runDir, h.log)}`);
    expect(err.name).toBe('HookError');
  });

  test('when the signal aborts, the whole process group is killed, a background child included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hook-kill-'));
    const hold = join(dir, 'hold');
    execFileSync('mkfifo', [hold]);
    const controller = new AbortController();
    // The background sleep keeps the FIFO open for writing while it lives: the reader sees its end when it dies.
    const h = hookRun(`sleep 600 > "${hold}" & wait`, { signal: controller.signal });
    const reader = createReadStream(hold);
    const ended = new Promise<void>((done) => reader.on('close', () => done()));
    reader.resume();
    reader.on('open', () => controller.abort(new Error('Test timed out in 5000ms.')));
    const { report } = await runHook(h);
    await ended;
    expect(report.exitCode).toBeNull();
    expect(report.signal).toBe('SIGKILL');
    expect(report.error).toBe('killed: the test ended (Test timed out in 5000ms.)');
    expect(hookPassed(report)).toBe(false);
  });

  test('an already aborted signal: the hook is killed at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const { report } = await runHook(hookRun('sleep 600', { signal: controller.signal }));
    expect(report.error).toMatch(/^killed: /);
  });
});
