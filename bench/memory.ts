import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MEASURING_NODE_FLAGS } from '../lib/load/measuring-process.ts';

/*
 * Memory per finished request: the client's whole per-request path (runner, two statistics
 * accumulators as a suite keeps them, one for the test and one for its cell, and requests.jsonl
 * appended on disk) over a long streamed run, in a child process of its own (a fresh heap,
 * `--expose-gc`, the suites' Node flags), against the simulator in yet another process. After a
 * forced full GC at fixed request counts, the live memory (JS heap + memory outside it, where the
 * sample buffers live) and the RSS are read; their growth per request is what a long run costs.
 */

/** A memory run. */
export interface MemoryConfig {
  /** Measured requests. */
  requests: number;
  /** Memory is read every this many finished requests. */
  every: number;
  /** Output tokens per request; streamed one token a chunk, so each request adds max_tokens - 1 ITL samples. */
  maxTokens: number;
  concurrency: number;
  /**
   * Requests of a settling run before the baseline, through the same path on throwaway objects:
   * JIT code, V8's spaces and the allocator's arenas reach their working size, so the RSS growth
   * measured after it is growth per request, not the process warming up.
   */
  warmup: number;
}

/** One reading, after a forced full GC. */
export interface MemoryPoint {
  /** Measured requests finished. */
  requests: number;
  /** JS heap in use + memory outside the heap owned by JS objects (typed-array storage), MB. */
  liveMb: number;
  heapUsedMb: number;
  externalMb: number;
  rssMb: number;
  /** V8 heap reserved (committed), MB, and of it the young generation. */
  heapTotalMb: number;
  youngMb: number;
}

/** Result of a memory run. */
export interface MemoryResult {
  config: MemoryConfig;
  /** Readings, the first at the start of the measured phase (the baseline). */
  points: MemoryPoint[];
  /** Growth from the baseline to the last reading, per 100,000 requests, MB. */
  livePer100kMb: number;
  rssPer100kMb: number;
  /**
   * Growth over a million requests, bounded from this run: the larger of the peak growth seen
   * and the final growth extrapolated linearly. The run goes past every statistic's exact-sample
   * cap, so the peak includes the largest the sample buffers ever get; what still grows after
   * them shows in the extrapolation.
   */
  livePerMillionMb: number;
  rssPerMillionMb: number;
  /** Largest growth over the baseline at any reading, MB. */
  peakLiveGrowthMb: number;
  peakRssGrowthMb: number;
  /** Measured requests that failed (the run is only meaningful when this is 0). */
  failed: number;
  /** requests.jsonl size per request, bytes (on disk, not in memory). */
  fileBytesPerRequest: number;
  requestsPerS: number;
  /** Statistics summaries at the end that came from a histogram, by metric (the sample caps at work). */
  approximateMetrics: string[];
}

const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

/** Runs `cfg` in a child process (see the module comment); progress goes to stderr. */
export function benchMemory(cfg: MemoryConfig): Promise<MemoryResult> {
  return new Promise((resolve, reject) => {
    // The young generation at its full size from the start (the suites' maximum): otherwise V8
    // grows it during the run, and that one-time growth (up to 128 MB of RSS) would pass for
    // memory per request.
    const semi = MEASURING_NODE_FLAGS.find((f) => f.startsWith('--max-semi-space-size='))?.split('=')[1];
    const flags = [...MEASURING_NODE_FLAGS, ...(semi ? [`--min-semi-space-size=${semi}`] : []), '--expose-gc'];
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', CHILD], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_MEMORY_CONFIG: JSON.stringify(cfg) },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`memory benchmark child exited with ${code}: ${out.trim().slice(-500)}`));
      try {
        resolve(JSON.parse(last) as MemoryResult);
      } catch {
        reject(new Error(`memory benchmark child printed no result: ${out.trim().slice(-500)}`));
      }
    });
  });
}
