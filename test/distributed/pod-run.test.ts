import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFrames } from '../../lib/distributed/frame-collect.ts';
import { FRAME_MARKER } from '../../lib/distributed/log-frames.ts';
import { readPodEnv, runPod, vitestEnv, type PodRecord } from '../../lib/distributed/pod-run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vitest-llm-d.js');
const SECRET = 'sk-pod-run-secret-0123456789';
const temp = mkdtempSync(join(tmpdir(), 'pod-run-'));
const project = join(temp, 'project');

/** A test that records what pod-run gave it and waits at one stage barrier (as `runScenario` would). */
const SHARE_TEST = `
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'vitest';
test('share', async () => {
  const e = process.env;
  const dir = join(e.BENCH_RESULTS_DIR, 'run-1');
  mkdirSync(join(dir, 'nested'), { recursive: true });
  const index = Number(e.BENCH_SHARE.split('/')[0]);
  const res = await fetch(new URL('/barrier', e.BENCH_COORDINATOR), { method: 'POST', body: JSON.stringify({ key: 'suite/s/stage-0', index }) });
  writeFileSync(join(dir, 'env.json'), JSON.stringify({ share: e.BENCH_SHARE, offset: e.BENCH_CLOCK_OFFSET_MS, bound: e.BENCH_CLOCK_OFFSET_BOUND_MS, runId: e.BENCH_RUN_ID, barrier: await res.json() }));
  writeFileSync(join(dir, 'nested', 'requests.jsonl'), Array.from({ length: 2000 }, (_, i) => JSON.stringify({ seq: i * 2 + index })).join('\\n'));
});
`;

/** A test that writes a record, then hangs until it is stopped. */
const SLOW_TEST = `
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'vitest';
test('slow', async () => {
  mkdirSync(process.env.BENCH_RESULTS_DIR, { recursive: true });
  appendFileSync(join(process.env.BENCH_RESULTS_DIR, 'partial.jsonl'), '{"seq":0}\\n');
  await new Promise((r) => setTimeout(r, 60_000));
}, 120_000);
`;

beforeAll(() => {
  mkdirSync(project);
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
  writeFileSync(join(project, 'package.json'), '{"name":"pod-run-test","type":"module"}\n');
  writeFileSync(join(project, 'vitest.config.mjs'), "export default { test: { include: ['*.test.mjs'], reporters: ['default'] } };\n");
  writeFileSync(join(project, 'share.test.mjs'), SHARE_TEST);
  writeFileSync(join(project, 'slow.test.mjs'), SLOW_TEST);
});

afterAll(() => rmSync(temp, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** This process's environment without the variables of the vitest running this test. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|NODE_OPTIONS$|TINYPOOL|BENCH_|FORCE_COLOR$)/.test(k)));
  return { ...env, NO_COLOR: '1' };
}

function podEnv(index: number, count: number, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...baseEnv(),
    JOB_COMPLETION_INDEX: String(index), BENCH_PARALLELISM: String(count), BENCH_RUN_ID: 'R-test',
    BENCH_COORDINATOR: `http://127.0.0.1:${port}/?auth=${SECRET}`, BENCH_COORDINATOR_PORT: String(port),
    POD_NAME: `job-${index}-x`, NODE_NAME: `node-${index}`, POD_IP: '127.0.0.1',
    BENCH_RESULTS_DIR: join(temp, 'results', String(index)), BENCH_LAUNCH_STREAM: '1', BENCH_BARRIER_TIMEOUT_S: '20',
    OPENAI_API_KEY: SECRET,
    ...extra,
  };
}

interface Run { code: number | null; stdout: string; stderr: string; child: ReturnType<typeof spawn> }

function podRun(args: string[], env: NodeJS.ProcessEnv): { done: Promise<Run>; child: ReturnType<typeof spawn> } {
  const child = spawn(process.execPath, [BIN, 'pod-run', ...args], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { code: null as number | null, stdout: '', stderr: '', child };
  child.stdout!.setEncoding('utf8').on('data', (t: string) => void (run.stdout += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => void (run.stderr += t.split('\n').map((l) => (l && process.env.DEBUG_POD_RUN ? `${(performance.now() / 1000).toFixed(2)} ${l}` : l)).join('\n')));
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ ...run, code })));
  return { done, child };
}

const listAll = (dir: string, rel = ''): string[] =>
  readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listAll(dir, rel ? `${rel}/${e.name}` : e.name) : [rel ? `${rel}/${e.name}` : e.name])).sort();

describe('pod-run, two pods on loopback', () => {
  it('runs both shares at one barrier, writes pod.json, and sends each results folder as frames on stdout', async () => {
    const port = await freePort();
    // Pod 1 first: it waits for pod 0's coordinator to come up.
    const p1 = podRun(['share.test.mjs'], podEnv(1, 2, port));
    await new Promise((r) => setTimeout(r, 500));
    const p0 = podRun(['share.test.mjs'], podEnv(0, 2, port));
    const runs = await Promise.all([p0.done, p1.done]);
    if (process.env.DEBUG_POD_RUN) console.log(runs.map((r) => r.stderr).join('\n----\n'));
    const starts: number[] = [];
    for (const [index, run] of runs.entries()) {
      expect(run.code, run.stderr).toBe(0);
      const dir = join(temp, 'results', String(index));
      const pod = JSON.parse(readFileSync(join(dir, 'pod.json'), 'utf8')) as PodRecord;
      expect(pod).toMatchObject({ format: 'vitest-llm-d/pod@1', index, count: 2, pod: `job-${index}-x`, node: `node-${index}`, exitCode: 0, errors: [] });
      expect(Math.abs(pod.clock!.offsetMs)).toBeLessThan(5);
      expect(pod.clock!.boundMs).toBeGreaterThan(0);
      expect(pod.clock!.samples).toBe(16);
      expect(Date.parse(pod.endedAt)).toBeGreaterThanOrEqual(Date.parse(pod.startedAt));
      const env = JSON.parse(readFileSync(join(dir, 'run-1', 'env.json'), 'utf8')) as { share: string; offset: string; bound: string; runId: string; barrier: { startWallMs: number; missing: number[] } };
      expect(env).toMatchObject({ share: `${index}/2`, offset: String(pod.clock!.offsetMs), bound: String(pod.clock!.boundMs), runId: 'R-test' });
      expect(env.barrier.missing).toEqual([]);
      starts.push(env.barrier.startWallMs);
      // stdout is frames only; they rebuild the folder byte for byte.
      const lines = run.stdout.split('\n').filter((l) => l !== '');
      expect(lines.every((l) => l.startsWith(`${FRAME_MARKER} `))).toBe(true);
      const dest = join(temp, 'collected', String(index));
      const report = await collectFrames(Readable.from([run.stdout]), dest);
      expect(report.errors).toEqual([]);
      expect(report.complete).toBe(true);
      expect(listAll(dest)).toEqual(['pod.json', 'run-1/env.json', 'run-1/nested/requests.jsonl']);
      for (const f of listAll(dir)) expect(readFileSync(join(dest, f)).equals(readFileSync(join(dir, f)))).toBe(true);
      // vitest's output went to stderr; status lines carry no secret.
      expect(run.stderr).toMatch(/Test Files\s+1 passed/);
      const status = run.stderr.split('\n').filter((l) => l.startsWith('pod-run:'));
      expect(status.some((l) => l.includes('coordinator http://127.0.0.1'))).toBe(true);
      expect(status.join('\n')).not.toContain(SECRET);
      expect(readFileSync(join(dir, 'pod.json'), 'utf8')).not.toContain(SECRET);
    }
    expect(starts[0]).toBe(starts[1]);
    expect(runs[0]!.stderr).toContain('pod-run: coordinator listening on http://127.0.0.1:');
    expect(runs[0]!.stderr).toContain('pod-run: done; every pod finished');
  });

  it('on SIGTERM stops vitest, still writes pod.json and sends what was written', async () => {
    const port = await freePort();
    const env = podEnv(0, 1, port, { BENCH_RESULTS_DIR: join(temp, 'results-term') });
    const p = podRun(['slow.test.mjs'], env);
    const partial = join(temp, 'results-term', 'partial.jsonl');
    for (let i = 0; i < 300 && !existsSync(partial); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(partial)).toBe(true);
    const t = performance.now();
    p.child.kill('SIGTERM');
    const run = await p.done;
    expect(performance.now() - t).toBeLessThan(25_000);
    expect(run.stderr).toContain('pod-run: SIGTERM: stopping vitest');
    expect(run.code).toBe(143);
    const pod = JSON.parse(readFileSync(join(temp, 'results-term', 'pod.json'), 'utf8')) as PodRecord;
    expect(pod.exitCode).not.toBe(0);
    expect(pod.exitCode).not.toBeNull();
    const report = await collectFrames(Readable.from([run.stdout]), join(temp, 'collected-term'));
    expect(report.complete).toBe(true);
    expect(report.files.map((f) => f.path)).toEqual(['partial.jsonl', 'pod.json']);
  });
});

describe('pod-run settings', () => {
  it('names a missing or invalid variable in one line and exits 2', async () => {
    const out: string[] = [];
    const base = podEnv(1, 2, 7070);
    for (const [name, value, says] of [
      ['JOB_COMPLETION_INDEX', undefined, 'env JOB_COMPLETION_INDEX: not set (set by the Indexed Job)'],
      ['JOB_COMPLETION_INDEX', '2', 'env JOB_COMPLETION_INDEX: expected an integer in 0..1, got "2"'],
      ['BENCH_PARALLELISM', 'two', 'env BENCH_PARALLELISM: expected an integer in 1..10000, got "two"'],
      ['BENCH_COORDINATOR', 'coord:7070', 'env BENCH_COORDINATOR: expected http://<host>:<port>'],
      ['BENCH_COORDINATOR_PORT', undefined, 'env BENCH_COORDINATOR_PORT: not set'],
      ['BENCH_RESULTS_DIR', '', 'env BENCH_RESULTS_DIR: not set'],
      ['BENCH_LAUNCH_STREAM', 'yes', 'env BENCH_LAUNCH_STREAM: expected 1 or 0, got "yes"'],
    ] as const) {
      const env = { ...base, [name]: value };
      if (value === undefined) delete env[name];
      expect(() => readPodEnv(env)).toThrow(says);
      const err: string[] = [];
      const code = await runPod({ files: ['x.test.ts'], env, cwd: project, out: (l) => void out.push(l), err: (t) => void err.push(t) });
      expect(code).toBe(2);
      expect(err).toEqual([expect.stringMatching(/^pod-run: env [A-Z_]+: .*\n$/)]);
    }
    expect(out).toEqual([]);
  });

  it('gives vitest its share and clock, and no stale offset when the clock was not measured', () => {
    const pod = readPodEnv(podEnv(1, 2, 7070));
    const env = vitestEnv({ PATH: '/bin', BENCH_CLOCK_OFFSET_MS: '99' }, pod, { offsetMs: -1.5, boundMs: 0.25, rttMs: 0.5, samples: 16 });
    expect(env).toMatchObject({ PATH: '/bin', BENCH_SHARE: '1/2', BENCH_CLOCK_OFFSET_MS: '-1.5', BENCH_CLOCK_OFFSET_BOUND_MS: '0.25', BENCH_COORDINATOR: pod.coordinator });
    const unsynced = vitestEnv({ BENCH_CLOCK_OFFSET_MS: '99' }, pod, null);
    expect(unsynced.BENCH_CLOCK_OFFSET_MS).toBeUndefined();
  });

  it('runs unsynchronised when the coordinator never answers, and says so in pod.json', async () => {
    const port = await freePort();
    const dir = join(temp, 'results-unsynced');
    const lines: string[] = [];
    const err: string[] = [];
    const code = await runPod({
      files: ['share.test.mjs'], env: podEnv(1, 2, port, { BENCH_RESULTS_DIR: dir }), cwd: project, clockTimeoutMs: 500,
      out: (l) => void lines.push(l), err: (t) => void err.push(t),
    });
    // The test's own barrier fetch fails too (nothing listens): vitest fails, pod.json says so; the
    // pod itself ran to its end (its tests judge only its share), so it exits 0.
    expect(code).toBe(0);
    const pod = JSON.parse(readFileSync(join(dir, 'pod.json'), 'utf8')) as PodRecord;
    expect(pod.clock).toBeNull();
    expect(pod.exitCode).toBe(1);
    expect(pod.errors[0]).toMatch(/^clock offset not measured, the pod runs unsynchronised: coordinator http:\/\/127\.0\.0\.1:\d+: GET \/clock: no answer within 0\.5 s/);
    // pod.json and the frames leave before the `done` barrier, whose failure is on stderr only.
    expect(err.join('')).toMatch(/pod-run: barrier done: coordinator/);
    expect(lines.at(-1)).toBe(`${FRAME_MARKER} {"t":"done","files":1}`);
  });
});
