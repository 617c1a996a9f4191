import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { FAST_SIM_TARGETS, workspace } from './run-suite.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');

/** What an interrupted suite run left behind. */
interface Ended {
  code: number | null;
  output: string;
  folder: string;
  /** Records in requests.jsonl when the run was interrupted. */
  recordsBefore: number;
  /** The processes of the run (vitest, its worker, the simulator) when it was interrupted. */
  pids: number[];
}

/** Child processes of `pid`, recursively. */
function descendants(pid: number): number[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (p: number): void => {
    for (const [c, parent] of rows) if (parent === p && !found.includes(c)) (found.push(c), walk(c));
  };
  walk(pid);
  return found;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs `suites/latency` (400 requests at concurrency 1 on the fast simulator) as a user does, in
 * its own process group, and once it has written `after` records calls `interrupt` with the
 * vitest process id; resolves when the run has ended.
 */
function runAndInterrupt(env: Record<string, string>, after: number, interrupt: ((pid: number) => void) | null): Promise<Ended> {
  const dir = workspace(FAST_SIM_TARGETS);
  const resultsDir = join(dir, 'results');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env, CI: 'true', NO_COLOR: '1', BENCH_RESULTS_DIR: resultsDir, BENCH_TARGETS_FILE: join(dir, 'targets.yaml'),
    BENCH_NUM_REQUESTS: '400', BENCH_WARMUP_REQUESTS: '0', ...env,
  };
  for (const k of Object.keys(childEnv)) if (k.startsWith('VITEST') || k === 'TEST' || k === 'NODE_ENV') delete childEnv[k];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [VITEST, 'run', 'suites/latency', '-t', 'quick_validation'], { cwd: ROOT, env: childEnv, detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let recordsBefore = 0;
    let pids: number[] = [];
    const folder = (): string | null => {
      const name = existsSync(resultsDir) ? readdirSync(resultsDir)[0] : undefined;
      return name ? join(resultsDir, name) : null;
    };
    const watch = setInterval(() => {
      const f = folder();
      const file = f ? join(f, 'requests.jsonl') : null;
      const n = file && existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
      if (n < after || !interrupt) return;
      clearInterval(watch);
      recordsBefore = n;
      pids = [child.pid!, ...descendants(child.pid!)];
      interrupt(child.pid!);
    }, 50);
    const timer = setTimeout(() => {
      clearInterval(watch);
      process.kill(-child.pid!, 'SIGKILL');
      fail(new Error(`the interrupted run did not end within 60 s:\n${output}`));
    }, 60_000);
    child.on('close', (code) => {
      clearInterval(watch);
      clearTimeout(timer);
      done({ code, output, folder: folder() ?? '', recordsBefore, pids });
    });
  });
}

const json = (folder: string, file: string) => JSON.parse(readFileSync(join(folder, file), 'utf8'));

/** Every process of the run is gone (given a moment: the simulator flushes its log when stopped). */
async function expectAllGone(pids: number[]): Promise<void> {
  expect(pids.length).toBeGreaterThanOrEqual(3); // vitest, its worker, the simulator
  for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  expect(pids.filter(alive)).toEqual([]);
}

/** The folder holds every report, marked interrupted, with the requests that finished. */
function expectReports(r: Ended, reason: RegExp): void {
  expect(readdirSync(r.folder)).toEqual(expect.arrayContaining(['summary.json', 'junit.xml', 'report.html', 'benchmark-report', 'requests.jsonl']));
  const summary = json(r.folder, 'summary.json');
  expect(summary.interrupted).toEqual({ kind: 'interrupted', reason: expect.stringMatching(reason) });
  const [t] = summary.tests;
  expect(t.interrupted.kind).toBe('interrupted');
  expect(t.results.total_requests).toBeGreaterThanOrEqual(r.recordsBefore - 1);
  expect(t.results.total_requests).toBeLessThan(400);
  expect(readFileSync(join(r.folder, 'junit.xml'), 'utf8')).toMatch(/<error message="interrupted: /);
  expect(readFileSync(join(r.folder, 'report.html'), 'utf8')).toContain('INTERRUPTED');
}

describe('every ending writes the reports of what finished and stops every child', () => {
  test('SIGTERM to the vitest process alone: reports marked interrupted, worker and simulator stopped, exit code 143', async () => {
    const r = await runAndInterrupt({}, 5, (pid) => process.kill(pid, 'SIGTERM'));
    expect(r.code, r.output).toBe(143);
    expectReports(r, /^SIGTERM received$/);
    await expectAllGone(r.pids);
  });

  test('Ctrl-C (SIGINT to the whole process group): the same, exit code 130', async () => {
    const r = await runAndInterrupt({}, 5, (pid) => process.kill(-pid, 'SIGINT'));
    expect(r.code, r.output).toBe(130);
    expectReports(r, /^SIGINT received$/);
    await expectAllGone(r.pids);
  });

  test('a worker killed mid-run: the run folder still gets its reports, naming the test that did not finish', async () => {
    const r = await runAndInterrupt({}, 5, (pid) => {
      const worker = descendants(pid).find((p) => /forks/.test(execFileSync('ps', ['-o', 'args=', '-p', String(p)], { encoding: 'utf8' })));
      process.kill(worker!, 'SIGKILL');
    });
    expect(r.code, r.output).not.toBe(0);
    const summary = json(r.folder, 'summary.json');
    expect(summary.interrupted).toEqual({ kind: 'interrupted', reason: expect.stringMatching(/^a test worker died/) });
    expect(summary.failed_tests).toEqual([expect.objectContaining({ name: 'quick_validation', state: 'interrupted' })]);
    expect(readdirSync(r.folder)).toEqual(expect.arrayContaining(['junit.xml', 'report.html']));
    await expectAllGone(r.pids);
  });

  // Long enough for the simulator to start (in the test's time), short of the 400 requests' ~25 s.
  test('a test timeout keeps the finished requests in the reports, marked timed out', async () => {
    const r = await runAndInterrupt({ BENCH_TEST_TIMEOUT_S: '6' }, 0, null);
    expect(r.code, r.output).not.toBe(0);
    const summary = json(r.folder, 'summary.json');
    const [t] = summary.tests;
    expect(t.interrupted).toEqual({ kind: 'timed out', reason: 'Test timed out in 6000ms' });
    expect(t.results.total_requests).toBeGreaterThan(0);
    expect(readFileSync(join(r.folder, 'junit.xml'), 'utf8')).toMatch(/<error message="timed out: Test timed out in 6000ms/);
  });
});
