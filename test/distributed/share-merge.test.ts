/**
 * A suite split over 1, 2 and 4 pods (each a real `vitest run` process with `BENCH_SHARE`, all
 * sending to one simulator and meeting at one coordinator), then merged (`runMerged`), against
 * the same suite run by one process: the same total load, request by request, and the same
 * statistics; the merge is exact over the pods' records; a pod killed midway leaves a partial
 * report that says which share is missing. (`vitest-llm-d launch` adds the cluster around this.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator } from '../../lib/distributed/coordinator.ts';
import { runMerged } from '../../lib/distributed/merge-run.ts';
import { planLoad } from '../../lib/load/registry.ts';
import { summarize } from '../../lib/stats/summary.ts';
import { spawnSimulator, type SimProcess } from '../../sim/vllm/spawn.ts';
import { readJsonl } from '../e2e/run-suite.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const CONFIG = ['--config', 'test/distributed/suites/vitest.config.ts'];
const FILES = ['test/distributed/suites/dist/dist.suite.ts'];
const WARMUP = 4;
const REQUESTS = 60;

let sim: SimProcess;
let work: string;

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'TEST' || k === 'NODE_ENV' || (k.startsWith('BENCH_') && !(k in extra))) delete env[k];
  return env;
}

/** One `vitest run` of the dist suite; its own process group, so a kill takes its workers too. */
function vitest(env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, [VITEST, 'run', ...CONFIG, ...FILES], { cwd: ROOT, env, detached: true });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on('close', (code) => resolve({ code, output })));
  return { child, done };
}

const stampOf = (n: number): string => `2026-12-06T10-00-${String(n).padStart(2, '0')}Z`;

/** Runs the suite as `count` pods into `<results>/<stamp>-dist/pods/<k>/`; `kill` stops one pod once it has recorded `afterLines` requests. */
async function runPods(count: number, n: number, kill?: { index: number; afterLines: number }): Promise<{ runDir: string; outputs: string[] }> {
  const stamp = stampOf(n);
  const runDir = join(work, `results-${n}`, `${stamp}-dist`);
  const coordinator = await startCoordinator({ count, host: '127.0.0.1', port: 0, barrierTimeoutMs: 8000 });
  try {
    const pods = Array.from({ length: count }, (_, k) =>
      vitest(baseEnv({ BENCH_SHARE: `${k}/${count}`, BENCH_COORDINATOR: coordinator.url, BENCH_RUN_STAMP: stamp, BENCH_RESULTS_DIR: join(runDir, 'pods', String(k)), BENCH_BASE_URL: sim.url })),
    );
    let killed = false;
    if (kill) {
      const file = join(runDir, 'pods', String(kill.index), `${stamp}-dist`, 'requests.jsonl');
      const watch = setInterval(() => {
        if (killed || !existsSync(file)) return;
        if (readFileSync(file, 'utf8').split('\n').length > kill.afterLines) {
          killed = true;
          process.kill(-pods[kill.index]!.child.pid!, 'SIGKILL');
        }
      }, 20);
      await pods[kill.index]!.done;
      clearInterval(watch);
      expect(killed, 'the pod was killed midway').toBe(true);
    }
    const results = await Promise.all(pods.map((p) => p.done));
    for (let k = 0; k < count; k++) {
      const dir = join(runDir, 'pods', String(k));
      mkdirSync(dir, { recursive: true });
      const gone = kill?.index === k;
      // What pod-run and the launcher write around a pod (a pod on this machine: offset 0).
      if (!gone) writeFileSync(join(dir, 'pod.json'), JSON.stringify({ index: k, count, pod: `dist-${k}`, node: 'node-a', clock: { offsetMs: 0, boundMs: 0.1 }, exitCode: 0 }));
      writeFileSync(join(dir, 'launch.json'), JSON.stringify({ index: k, pod: `dist-${k}`, node: 'node-a', phase: gone ? 'Failed' : 'Succeeded', reason: gone ? 'Error' : 'Completed', message: gone ? 'killed by the test' : null, exitCode: gone ? 137 : 0 }));
    }
    writeFileSync(join(runDir, 'launch.json'), JSON.stringify({ parallelism: count }));
    return { runDir, outputs: results.map((r) => r.output) };
  } finally {
    await coordinator.close();
  }
}

interface TestEntry { scenario: string; results: { total_requests: number; successful: number; tpot_ms: Record<string, number>; ttft_ms: Record<string, number> }; distributed?: Record<string, unknown> }
const summaryOf = (runDir: string): { tests: TestEntry[] } => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
const testOf = (runDir: string, scenario: string): TestEntry => summaryOf(runDir).tests.find((t) => t.scenario === scenario)!;

/** The global schedule of the poisson scenario: offsets of its 60 requests (seed 7 in the file). */
function globalOffsets(): number[] {
  const plan = planLoad({ type: 'poisson', rate: 40, seed: 7 }, { seed: 0, numRequests: REQUESTS });
  const st = plan.stages![0]!;
  const it = st.schedule.kind === 'open' ? st.schedule.offsets() : null;
  return Array.from({ length: REQUESTS }, () => it!.next().value as number);
}

describe('a suite split across pods and merged', () => {
  let single: string;
  const merged = new Map<number, string>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'llmd-dist-'));
    sim = await spawnSimulator({ host: '127.0.0.1', port: 0, tokenizer: 'words', time_scale: 1 });
    const stamp = stampOf(0);
    const one = await vitest(baseEnv({ BENCH_RUN_STAMP: stamp, BENCH_RESULTS_DIR: join(work, 'results-0'), BENCH_BASE_URL: sim.url })).done;
    expect(one.code, one.output).toBe(0);
    single = join(work, 'results-0', `${stamp}-dist`);
  }, 120_000);
  afterAll(async () => {
    await sim?.stop();
  });

  for (const count of [1, 2, 4]) {
    it(`over ${count} pod(s): one merged report, the single process's load and statistics`, async () => {
      const { runDir, outputs } = await runPods(count, count);
      const code = await runMerged({ runDir, testFiles: FILES, vitestArgs: CONFIG, env: baseEnv({}), cwd: ROOT, stdio: 'ignore' });
      expect(code, outputs.join('\n')).toBe(0);
      merged.set(count, runDir);

      // Every global request exactly once, warm-up first; the pods' prompts are the single process's.
      const lines = readJsonl(join(runDir, 'requests.jsonl')).filter((l) => l.scenario === 'poisson');
      expect(lines.map((l) => l.seq as number).sort((a, b) => a - b)).toEqual(Array.from({ length: WARMUP + REQUESTS }, (_, i) => i));
      const singleLines = readJsonl(join(single, 'requests.jsonl')).filter((l) => l.scenario === 'poisson');
      const promptOf = (ls: Array<Record<string, unknown>>): string[] => ls.sort((a, b) => (a.seq as number) - (b.seq as number)).map((l) => `${l.cell}/${l.prompt_tokens}`);
      expect(promptOf(lines)).toEqual(promptOf(singleLines));

      // The same total load: each request sent at its global offset from the common stage start.
      const offsets = globalOffsets();
      for (let k = 0; k < count; k++) {
        const podDir = join(runDir, 'pods', String(k), `${stampOf(count)}-dist`);
        const start = readJsonl(join(podDir, 'shares.jsonl')).find((l) => l.kind === 'stage' && l.scenario === 'poisson' && l.stage === 0)!;
        expect((start.sync as { synced: boolean }).synced, `pod ${k} started at the barrier`).toBe(true);
        // intended = the loop's start + the global offset, exactly: one constant per pod, at the stage start.
        const origins = readJsonl(join(podDir, 'requests.jsonl'))
          .filter((x) => x.scenario === 'poisson' && !x.warmup)
          .map((l) => {
            const seq = l.seq as number;
            expect(seq % count, `request ${seq} is pod ${k}'s`).toBe(k);
            return (l.intended_ms as number) - offsets[seq - WARMUP]!;
          });
        expect(origins.length).toBeGreaterThanOrEqual(Math.floor(REQUESTS / count));
        expect(Math.max(...origins) - Math.min(...origins)).toBeLessThan(0.01);
        expect(Math.abs(origins[0]! - (start.start_ms as number))).toBeLessThan(0.01);
      }

      // Exact: the merged TTFT percentiles are those of the pods' records pooled.
      const pooled = Array.from({ length: count }, (_, k) => readJsonl(join(runDir, 'pods', String(k), `${stampOf(count)}-dist`, 'requests.jsonl')))
        .flat()
        .filter((l) => l.scenario === 'poisson' && !l.warmup && l.metrics)
        .map((l) => (l.metrics as { ttft_ms: number }).ttft_ms);
      const exact = summarize(pooled, [50, 95]);
      const m = testOf(runDir, 'poisson');
      expect(m.results.total_requests).toBe(REQUESTS);
      expect(m.results.ttft_ms.p50).toBeCloseTo(exact.percentiles.p50!, 2);
      expect(m.results.ttft_ms.p95).toBeCloseTo(exact.percentiles.p95!, 2);

      // Statistically the single process's run: the simulator's decode time per token is the same.
      const s = testOf(single, 'poisson');
      expect(Math.abs(m.results.tpot_ms.p50! / s.results.tpot_ms.p50! - 1), `TPOT p50 ${m.results.tpot_ms.p50} ms merged vs ${s.results.tpot_ms.p50} ms single`).toBeLessThan(0.2);
      const d = m.distributed as { role: string; parallelism: number; pods: Array<{ index: number; share: string; requests: number; validity: { valid: boolean } }>; missing: unknown[]; partial: boolean; stageStartSpreadMs: number[] };
      expect(d.role).toBe('merged');
      expect(d.parallelism).toBe(count);
      expect(d.pods.map((p) => p.index)).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(d.pods.reduce((n, p) => n + p.requests, 0)).toBe(REQUESTS);
      expect(d.missing).toEqual([]);
      expect(d.partial).toBe(false);
      // The pods started each stage together: without the barrier they would be seconds apart (each
      // waited 0.3-2 s there for the others); what spread remains is their measured lateness.
      for (const [k, spread] of d.stageStartSpreadMs.entries()) {
        const late = Array.from({ length: count }, (_, i) => readJsonl(join(runDir, 'pods', String(i), `${stampOf(count)}-dist`, 'shares.jsonl')))
          .flat()
          .filter((l) => l.kind === 'stage' && l.scenario === 'poisson' && l.stage === k)
          .map((l) => (l.sync as { lateByMs: number }).lateByMs);
        expect(spread).toBeLessThan(250);
        expect(Math.abs(spread - (Math.max(...late) - Math.min(...late))), `stage ${k} spread ${spread} ms vs lateness ${late.join(', ')}`).toBeLessThan(5);
      }

      // The closed loop: the sweep's levels are the global ones, the concurrency split by slot.
      const sweep = testOf(runDir, 'sweep');
      expect(sweep.results.successful).toBeGreaterThan(0);
      const stages = readJsonl(join(runDir, 'stages.jsonl')).filter((l) => l.scenario === 'sweep');
      expect(stages.map((l) => (l.offered as { concurrency: number }).concurrency)).toEqual([2, 4]);
    }, 180_000);
  }

  it("a pod's records lost in transfer: its encoded histograms are merged instead, within the stated bound of the exact merge, and the report says so", async () => {
    const exactDir = merged.get(2)!;
    const runDir = join(work, 'results-lost', `${stampOf(2)}-dist`);
    mkdirSync(runDir, { recursive: true });
    cpSync(join(exactDir, 'pods'), join(runDir, 'pods'), { recursive: true });
    cpSync(join(exactDir, 'launch.json'), join(runDir, 'launch.json'));
    const podRun = join(runDir, 'pods', '1', `${stampOf(2)}-dist`);
    expect(existsSync(join(podRun, 'stats.jsonl')), 'the pod wrote its stats line').toBe(true);
    rmSync(join(podRun, 'requests.jsonl'));
    const code = await runMerged({ runDir, testFiles: FILES, vitestArgs: CONFIG, env: baseEnv({}), cwd: ROOT, stdio: 'ignore' });
    expect(code).toBe(0);
    const bound = 2 ** -10;
    for (const scenario of ['poisson', 'sweep']) {
      const exact = testOf(exactDir, scenario);
      const m = testOf(runDir, scenario);
      // Counts exact; percentiles within the histogram's relative bound (plus the summary's rounding).
      expect(m.results.total_requests).toBe(exact.results.total_requests);
      expect(m.results.successful).toBe(exact.results.successful);
      for (const metric of ['ttft_ms', 'tpot_ms'] as const) {
        for (const q of ['p50', 'p95']) {
          const [a, b] = [m.results[metric][q]!, exact.results[metric][q]!];
          expect(Math.abs(a - b), `${scenario} ${metric} ${q}: ${a} vs exact ${b}`).toBeLessThanOrEqual(b * bound + 0.002);
        }
      }
      const d = m.distributed as { source: string; relativeError: number; partial: boolean; pods: Array<{ index: number; source: string; lost: string | null; requests: number }> };
      expect(d.source).toBe('records+histograms');
      expect(d.relativeError).toBe(bound);
      expect(d.partial).toBe(false);
      expect(d.pods.map((p) => p.source)).toEqual(['records', 'histograms']);
      expect(d.pods[1]!.lost).toMatch(/^its requests\.jsonl did not arrive \(\d+ records\)$/);
      expect(d.pods.reduce((n, p) => n + p.requests, 0)).toBe(exact.results.total_requests);
    }
    // The sweep's stages were judged on the merged stages: the same levels, the same counts.
    const stagesOf = (dir: string) => readJsonl(join(dir, 'stages.jsonl')).filter((l) => l.scenario === 'sweep').map((l) => [(l.offered as { concurrency: number }).concurrency, l.sent]);
    expect(stagesOf(runDir)).toEqual(stagesOf(exactDir));
    const junit = readFileSync(join(runDir, 'junit.xml'), 'utf8');
    expect(junit).toContain('records and histograms (percentiles within 0.098%)');
    expect(junit).toMatch(/from its histograms: its requests\.jsonl did not arrive/);
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('the encoded histograms of the others: percentiles within 0.098% (relative)');
    expect(html).toMatch(/histograms: its requests\.jsonl did not arrive \(\d+ records\)/);
    // The lost pod's sends count in the run's achieved send rate, as in the exact merge (not only the replayed records').
    const sendRates = (page: string): string[] => [...page.matchAll(/<th>send rate achieved \/ offered<\/th><td[^>]*>([^<]*)<\/td>/g)].map((x) => x[1]!);
    const exactRates = sendRates(readFileSync(join(exactDir, 'report.html'), 'utf8'));
    expect(exactRates.length).toBeGreaterThan(0);
    expect(exactRates.every((x) => /^[\d.]+ \/s \//.test(x)), exactRates.join(', ')).toBe(true);
    expect(sendRates(html)).toEqual(exactRates);
  }, 120_000);

  it('a pod killed midway: the merged report is partial and says which share is missing', async () => {
    const { runDir } = await runPods(2, 9, { index: 1, afterLines: 12 });
    await runMerged({ runDir, testFiles: FILES, vitestArgs: CONFIG, env: baseEnv({}), cwd: ROOT, stdio: 'ignore' });
    const summary = summaryOf(runDir);
    const poisson = summary.tests.find((t) => t.scenario === 'poisson')!;
    const d = poisson.distributed as { partial: boolean; pods: Array<{ index: number; incomplete: string | null }>; missing: Array<{ index: number; reason: string }> };
    expect(d.partial).toBe(true);
    const killed = d.pods.find((p) => p.index === 1);
    const why = killed ? killed.incomplete : d.missing.find((x) => x.index === 1)?.reason;
    expect(why).toMatch(/Failed.*killed by the test.*137/);
    expect(poisson.results.total_requests).toBeLessThan(REQUESTS);
    // The sweep ran after the kill: share 1 never started it.
    const sweep = summary.tests.find((t) => t.scenario === 'sweep')!.distributed as { missing: Array<{ index: number }> };
    expect(sweep.missing.map((x) => x.index)).toEqual([1]);
    const junit = readFileSync(join(runDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/share 1 of 2 missing|incomplete/);
  }, 180_000);
});
