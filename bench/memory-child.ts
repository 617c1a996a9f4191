/*
 * Child process of the memory benchmark (see memory.ts): run with `--expose-gc`, configured by
 * BENCH_MEMORY_CONFIG, prints its MemoryResult as the last line of stdout.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { LATENCY_METRICS, StatsAccumulator } from '../lib/metrics/aggregate.ts';
import { readRunClock } from '../lib/metrics/record.ts';
import { RequestsFile } from '../lib/run-folder/requests-file.ts';
import { settings } from '../lib/settings/registry.ts';
import { runHarness, startSimulator, stopSimulators } from './load-harness.ts';
import type { MemoryConfig, MemoryPoint, MemoryResult } from './memory.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('bench/memory-child.ts needs node --expose-gc');
const cfg = JSON.parse(settings(process.env).get('BENCH_MEMORY_CONFIG') ?? '') as MemoryConfig;
const MB = 2 ** 20;

/** Full GC (twice: the second collects what the first's finalisers released), then a reading. */
function read(requests: number): MemoryPoint {
  gc!();
  gc!();
  const m = process.memoryUsage();
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  return {
    requests, liveMb: (m.heapUsed + m.external) / MB, heapUsedMb: m.heapUsed / MB, externalMb: m.external / MB, rssMb: m.rss / MB,
    heapTotalMb: m.heapTotal / MB, youngMb: young / MB,
  };
}

async function main(): Promise<MemoryResult> {
  const sim = await startSimulator({
    profile: 'test-fast', prefill_overhead_ms: 0, prefill_per_token_ms: 0, itl_ms: 0, ttft_std_ms: 0, itl_std_ms: 0,
    load_factor: 1, max_num_seqs: cfg.concurrency, max_waiting: 100_000,
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const schedule = { kind: 'closed', concurrency: cfg.concurrency, description: `concurrency ${cfg.concurrency} (closed loop)` } as const;
  const run = { schedule, maxTokens: cfg.maxTokens, stream: true, keepSamples: false, deadlineMs: 30 * 60_000 };
  try {
    // Settling run: the whole per-request path (statistics, file) on throwaway objects, so JIT
    // code, V8's spaces and the allocator's arenas reach their working size before the baseline.
    {
      const file = new RequestsFile(join(dir, 'settle.jsonl'));
      const all = new StatsAccumulator();
      const cell = new StatsAccumulator();
      const clock = readRunClock();
      await runHarness(sim, {
        ...run, warmup: 0, requests: cfg.warmup,
        onRecord(rec) {
          const m = all.add(rec);
          cell.add(rec);
          file.append('settle', clock, rec, m);
        },
      });
      file.close();
      rmSync(file.path);
    }
    const file = new RequestsFile(join(dir, 'requests.jsonl'));
    // As lib/scenario/run-scenario.ts keeps them: one accumulator for the test, one per cell.
    const all = new StatsAccumulator();
    const cell = new StatsAccumulator();
    const clock = readRunClock();
    const points: MemoryPoint[] = [];
    let done = 0;
    const t0 = { at: NaN };
    const r = await runHarness(sim, {
      ...run, warmup: cfg.concurrency, requests: cfg.requests,
      onMeasuredStart() {
        points.push(read(0));
        t0.at = performance.now();
      },
      onRecord(rec) {
        const m = all.add(rec);
        cell.add(rec);
        file.append('memory', clock, rec, m);
        if (++done % cfg.every === 0 || done === cfg.requests) {
          const p = read(done);
          points.push(p);
          const rate = (done * 1000) / (performance.now() - t0.at);
          process.stderr.write(`bench: memory ${done.toLocaleString('en-US')} requests, live ${p.liveMb.toFixed(1)} MB, RSS ${p.rssMb.toFixed(0)} MB (${rate.toFixed(0)} req/s incl. GC)\n`);
        }
      },
    });
    const seconds = (performance.now() - t0.at) / 1000;
    let failed = 0;
    for (const k in r.errors) failed += r.errors[k]!;
    const stats = all.stats();
    const approximate = [
      ...LATENCY_METRICS.filter((k) => stats.latency[k].exact === false),
      ...(['input', 'output', 'perChunk'] as const).filter((k) => stats.tokens[k].exact === false).map((k) => `tokens.${k}`),
    ];
    file.close();
    const fileBytes = statSync(file.path).size;
    const base = points[0]!;
    const last = points.at(-1)!;
    const per100k = (d: number): number => (d * 100_000) / last.requests;
    const peakLive = Math.max(...points.map((p) => p.liveMb - base.liveMb));
    const peakRss = Math.max(...points.map((p) => p.rssMb - base.rssMb));
    return {
      config: cfg,
      points,
      livePer100kMb: per100k(last.liveMb - base.liveMb),
      rssPer100kMb: per100k(last.rssMb - base.rssMb),
      livePerMillionMb: Math.max(peakLive, per100k(last.liveMb - base.liveMb) * 10),
      rssPerMillionMb: Math.max(peakRss, per100k(last.rssMb - base.rssMb) * 10),
      peakLiveGrowthMb: peakLive,
      peakRssGrowthMb: peakRss,
      failed,
      fileBytesPerRequest: fileBytes / Math.max(1, done),
      requestsPerS: done / seconds,
      approximateMetrics: approximate,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const result = await main();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  process.stderr.write(`bench: memory: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await stopSimulators();
}
