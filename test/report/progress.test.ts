/*
 * The live progress line: its format at any width, the rate over recent ticks,
 * the channel from a worker-side emitter to the main-process receiver over a real local socket,
 * `runScenario` reporting a running stage through it, and the reporter drawing into Vitest's
 * summary window, falling back to plain lines, and doing nothing at all without a terminal or in CI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Vitest } from 'vitest/node';
import { emitProgress, openProgressReceiver, progressFromEnv } from '../../lib/progress/channel.ts';
import { formatProgress, formatSeconds, PROGRESS_ENV, RateMeter, type ProgressCounters, type ProgressMessage, type ProgressSample } from '../../lib/progress/progress.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
import { ProgressReporter, progressWanted, withProgress } from '../../reporters/progress-reporter.ts';
import { runOn, simTarget } from '../scenario/sim-target.ts';

const sample = (over: Partial<ProgressSample> = {}): ProgressSample => ({
  id: '1-1',
  test: 'throughput/concurrency_sweep',
  phase: 'stage',
  stage: 'concurrency 64',
  stageNumber: 2,
  stages: 5,
  done: 120,
  total: 500,
  errors: 2,
  elapsedMs: 12_400,
  durationMs: null,
  rate: 31.25,
  ...over,
});

/** Resolves when `check` holds, polling every 10 ms, or rejects after `ms`. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('formatProgress', () => {
  test('a count-bounded stage: test, stage k/n and label, done/total, percent, rate, errors, elapsed', () => {
    expect(formatProgress(sample(), 120)).toBe('throughput/concurrency_sweep  stage 2/5 concurrency 64  120/500 req  24%  31.3 req/s  2 errors  12 s');
  });

  test('a duration-bounded stage shows elapsed / duration, then draining', () => {
    const p = sample({ total: null, durationMs: 30_000, done: 37, errors: 1, rate: 250.4 });
    expect(formatProgress(p, 120)).toBe('throughput/concurrency_sweep  stage 2/5 concurrency 64  37 req  250 req/s  1 error  12 s / 30 s');
    expect(formatProgress({ ...p, elapsedMs: 33_000 }, 120)).toContain('30 s + draining 3 s');
  });

  test('warm-up, preparing, an unknown stage count and a rate not known yet', () => {
    expect(formatProgress(sample({ phase: 'warm-up', stage: null }), 80)).toBe('throughput/concurrency_sweep  warm-up');
    expect(formatProgress(sample({ phase: 'preparing', stage: null, stageNumber: 3 }), 80)).toBe('throughput/concurrency_sweep  preparing stage 3/5');
    expect(formatProgress(sample({ stages: null, rate: null }), 120)).toContain('stage 2 concurrency 64  120/500 req  24%  - req/s');
  });

  test('fits any width: the test name and stage label shorten first, the counts stay whole', () => {
    const p = sample({ test: 'a-suite-with-a-long-name/meta-llama-Llama-3.1-70B-Instruct-FP8-dynamic-sweep', done: 123_456, total: 1_000_000, errors: 12_345, rate: 4321.9 });
    for (let w = 20; w <= 160; w++) expect(formatProgress(p, w).length).toBeLessThanOrEqual(w);
    const at80 = formatProgress(p, 80);
    expect(at80).toContain('123456/1000000 req  12%  4322 req/s  12345 errors');
    // At 80 columns the name has no room left (the window shows the file above); at 100 it is shortened.
    expect(at80).toMatch(/^stage 2\/5 concurrency 64 {2}/);
    expect(formatProgress(p, 100)).toMatch(/^a-suite-with-a-\S*… {2}stage 2\/5 concurrency 64 {2}123456\/1000000 req .* 12 s$/);
    expect(formatProgress(p, 60)).toContain('123456/1000000 req');
    expect(formatSeconds(65_000)).toBe('1m05s');
    expect(formatSeconds(3_725_000)).toBe('1h02m');
  });
});

describe('RateMeter', () => {
  test('requests/s over the last ticks, restarted when the stage changes', () => {
    const m = new RateMeter(3);
    expect(m.add(0, 0, 0)).toBeNull();
    expect(m.add(0, 1000, 10)).toBe(10);
    expect(m.add(0, 2000, 30)).toBe(15);
    // The window slides: ticks at 1 s and 3 s.
    expect(m.add(0, 3000, 60)).toBe(25);
    expect(m.add(1, 4000, 5)).toBeNull();
    expect(m.add(1, 5000, 7)).toBe(2);
  });
});

describe('the channel over a real local socket', () => {
  test('an emitter sends a sample per tick and an end; the receiver gets them in order', async () => {
    const got: ProgressMessage[] = [];
    const receiver = await openProgressReceiver((m) => got.push(m));
    try {
      let done = 0;
      const read = (): ProgressCounters => ({ phase: 'stage', stage: 'rate 5/s', stageNumber: 1, stages: 1, done: (done += 5), total: 100, errors: 1, startedAt: performance.now() - 1000, durationMs: null });
      const stop = emitProgress(receiver.path, 'load/poisson', read, 20);
      await until(() => got.length >= 4);
      stop();
      await until(() => got.at(-1)?.type === 'end');
      const progress = got.filter((m): m is Extract<ProgressMessage, { type: 'progress' }> => m.type === 'progress');
      expect(new Set(got.map((m) => m.id)).size).toBe(1);
      expect(progress[0]).toMatchObject({ test: 'load/poisson', stage: 'rate 5/s', done: 5, total: 100, errors: 1, rate: null });
      expect(progress.map((m) => m.done)).toEqual(progress.map((_, k) => 5 * (k + 1)));
      expect(progress[2]!.rate).toBeGreaterThan(0);
      expect(progress[0]!.elapsedMs).toBeGreaterThanOrEqual(1000);
    } finally {
      await receiver.close();
    }
  });

  test('a worker that dies without `end` leaves no line; junk lines are ignored', async () => {
    const got: ProgressMessage[] = [];
    const receiver = await openProgressReceiver((m) => got.push(m));
    try {
      const s = createConnection(receiver.path);
      s.write(`not json\n{"type":"progress"}\n${JSON.stringify({ type: 'progress', ...sample({ id: 'dead-1' }) })}\n`);
      await until(() => got.length === 1);
      s.destroy();
      await until(() => got.length === 2);
      expect(got.map((m) => [m.type, m.id])).toEqual([['progress', 'dead-1'], ['end', 'dead-1']]);
    } finally {
      await receiver.close();
    }
  });

  test('no receiver: the emitter gives up quietly; no variable: no hook at all', async () => {
    let reads = 0;
    const counters = (): ProgressCounters => {
      reads++;
      return { phase: 'warm-up', stage: null, stageNumber: 1, stages: 1, done: 0, total: null, errors: 0, startedAt: null, durationMs: null };
    };
    const stop = emitProgress(join(tmpdir(), 'llmd-progress-nobody-listens.sock'), 't', counters, 10);
    await new Promise((r) => setTimeout(r, 100));
    // The connection failed at once: the timer stopped after the first read or so.
    expect(reads).toBeLessThanOrEqual(2);
    stop();
    expect(progressFromEnv({})).toBeNull();
    expect(progressFromEnv({ [PROGRESS_ENV]: '/tmp/x.sock' })).toBeTypeOf('function');
  });
});

describe('runScenario reports a running stage', () => {
  let dir: string;
  let sim: SimProcess;
  let requests: RequestsFile;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmd-progress-'));
    sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words', faults: { error_rate: 0.2 } });
    requests = new RequestsFile(join(dir, 'requests.jsonl'));
  });
  afterAll(async () => {
    requests?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('through the socket in the environment: preparing, then the stage with its counts, rate and errors, then end', async () => {
    const got: ProgressMessage[] = [];
    const receiver = await openProgressReceiver((m) => got.push(m));
    process.env[PROGRESS_ENV] = receiver.path;
    try {
      const r = await runOn('progress', dir, requests, 'paced', simTarget(sim.url, 'words'), {
        stream: true,
        warmup_requests: 2,
        load: { type: 'constant', rate: 20, duration: 2.6 },
        stop: false,
        data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [8] },
      });
      await until(() => got.at(-1)?.type === 'end');
      expect(got[0]).toMatchObject({ type: 'progress', phase: 'preparing', stageNumber: 1 });
      const stage = got.filter((m): m is Extract<ProgressMessage, { type: 'progress' }> => m.type === 'progress' && m.phase === 'stage');
      expect(stage.length).toBeGreaterThanOrEqual(2);
      for (const m of stage) expect(m).toMatchObject({ test: 'progress/paced', stage: 'rate 20/s', stageNumber: 1, stages: 1, total: null, durationMs: 2600 });
      const last = stage.at(-1)!;
      expect(last.done).toBeGreaterThan(20);
      expect(last.done).toBeLessThanOrEqual(r.stages[0]!.sent);
      expect(last.rate).toBeGreaterThan(10);
      expect(last.rate).toBeLessThan(30);
      expect(last.errors).toBeGreaterThan(0);
      expect(last.errors).toBeLessThan(last.done);
    } finally {
      delete process.env[PROGRESS_ENV];
      await receiver.close();
    }
  });
});

/** A stand-in for the parts of Vitest the reporter uses, with or without the default reporter's summary window. */
function fakeVitest(withWindow: boolean) {
  const logged: string[] = [];
  const closers: Array<() => unknown> = [];
  let schedules = 0;
  const window = ['', ' ❯ suites/throughput/throughput.test.ts 0/2', '', ' Test Files  0 passed (1)', '      Tests  0 passed (2)', '   Start at  19:02:41', '   Duration  24.19s', ''];
  const renderer = { options: { getWindow: () => window }, schedule: () => void schedules++ };
  const vitest = {
    reporters: withWindow ? [{ summary: { renderer } }, {}] : [{}],
    logger: { getColumns: () => 100, log: (s: string) => void logged.push(s) },
    onClose: (fn: () => unknown) => void closers.push(fn),
  } as unknown as Vitest;
  return { vitest, logged, renderer, schedules: () => schedules, close: () => Promise.all(closers.map((f) => f())) };
}

describe('ProgressReporter', () => {
  test('in a terminal: opens the socket for the workers and draws the lines inside Vitest\'s window, under the test files', async () => {
    const env: NodeJS.ProcessEnv = {};
    const f = fakeVitest(true);
    const reporter = new ProgressReporter({ stdout: { isTTY: true }, env });
    await reporter.onInit(f.vitest);
    reporter.onTestRunStart();
    expect(reporter.active).toBe(true);
    const path = env[PROGRESS_ENV]!;
    expect(path).toBeTruthy();
    let done = 0;
    const stop = emitProgress(path, 'throughput/concurrency_sweep', () => ({ phase: 'stage', stage: 'concurrency 64', stageNumber: 2, stages: 5, done: (done += 7), total: 500, errors: 0, startedAt: performance.now(), durationMs: null }), 20);
    await until(() => f.renderer.options.getWindow().some((l) => l.includes('concurrency 64')));
    const lines = f.renderer.options.getWindow().map((l) => stripVTControlCharacters(l));
    expect(lines[1]).toContain('throughput.test.ts');
    expect(lines[2]).toMatch(/^ {3}» throughput\/concurrency_sweep {2}stage 2\/5 concurrency 64 {2}\d+\/500 req/);
    expect(lines[3]).toBe('');
    expect(lines[4]).toContain('Test Files');
    expect(lines.every((l) => l.length <= 100)).toBe(true);
    expect(f.schedules()).toBeGreaterThan(0);
    expect(f.logged).toEqual([]);
    stop();
    await until(() => f.renderer.options.getWindow().length === 8);
    await f.close();
    expect(env[PROGRESS_ENV]).toBeUndefined();
    expect(reporter.active).toBe(false);
  });

  test('without the window (another reporter): a plain line at each stage start, not at every tick', async () => {
    const env: NodeJS.ProcessEnv = {};
    const f = fakeVitest(false);
    const reporter = new ProgressReporter({ stdout: { isTTY: true }, env, logEveryMs: 60_000 });
    await reporter.onInit(f.vitest);
    reporter.onTestRunStart();
    let tick = 0;
    const stop = emitProgress(env[PROGRESS_ENV]!, 'load/sweep', () => {
      tick++;
      const stage = tick < 5 ? 1 : 2;
      return { phase: 'stage', stage: `concurrency ${stage}`, stageNumber: stage, stages: 2, done: tick, total: 100, errors: 0, startedAt: performance.now(), durationMs: null };
    }, 15);
    await until(() => tick >= 8);
    stop();
    await f.close();
    expect(f.logged.map((l) => stripVTControlCharacters(l).split('  ')[1])).toEqual(['stage 1/2 concurrency 1', 'stage 2/2 concurrency 2']);
  });

  test('silent without a terminal, in CI, or when turned off: no socket, no variable, no output', async () => {
    expect(progressWanted({ isTTY: true }, {})).toBe(true);
    expect(progressWanted({ isTTY: false }, {})).toBe(false);
    expect(progressWanted({}, {})).toBe(false);
    expect(progressWanted({ isTTY: true }, { CI: 'true' })).toBe(false);
    expect(progressWanted({ isTTY: true }, { GITHUB_ACTIONS: 'true' })).toBe(false);
    expect(progressWanted({ isTTY: true }, { CI: 'false' })).toBe(true);
    expect(progressWanted({ isTTY: true }, { BENCH_PROGRESS: '0' })).toBe(false);
    for (const [stdout, env] of [[{ isTTY: false }, {}], [{ isTTY: true }, { CI: '1' }]] as const) {
      const e: NodeJS.ProcessEnv = { ...env };
      const f = fakeVitest(true);
      const reporter = new ProgressReporter({ stdout, env: e });
      await reporter.onInit(f.vitest);
      reporter.onTestRunStart();
      expect(reporter.active).toBe(false);
      expect(e[PROGRESS_ENV]).toBeUndefined();
      expect(f.renderer.options.getWindow()).toHaveLength(8);
      expect(f.logged).toEqual([]);
      await f.close();
    }
  });

  test('withProgress puts the lines before the blank line ahead of the counts, or at the end', () => {
    expect(withProgress(['', ' ❯ a.test.ts', '', ' Test Files 1', ''], ['P'])).toEqual(['', ' ❯ a.test.ts', 'P', '', ' Test Files 1', '']);
    expect(withProgress(['x'], ['P'])).toEqual(['x', 'P']);
    expect(withProgress(['x'], [])).toEqual(['x']);
  });
});
