/*
 * The load keys of an inference-perf config file, measured against the simulator: what is sent,
 * when, and how many at once, for `load.type: poisson` (int(rate × duration) requests at its
 * per-second timer's times), `concurrent` stages (`num_requests` each, never more than
 * `concurrency_level` in flight, `interval` between the levels) and `request_timeout` (one
 * limit on the whole request, as inference-perf's aiohttp client applies it). The constant timer,
 * `interval` and `base_seed` on a constant load are in inference-perf-load.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyScenarioOverrides } from '../../lib/config/resolve-scenarios.ts';
import { loadWellLitConfig } from '../../lib/config/well-lit/index.ts';
import { inferencePerfPoissonOffsets } from '../../lib/load/inference-perf-arrivals.ts';
import { timeoutsMs } from '../../lib/scenario/open.ts';
import type { Scenario } from '../../lib/config/schema/scenario.ts';
import { spawnSimulator } from '../../sim/vllm/spawn.ts';
import { runOn, simTarget, useSimRun } from './sim-target.ts';

const ctx = useSimRun('llmd-ip-keys-');

const DATA = `
server: { type: vllm, base_url: http://127.0.0.1:1 }
api: { type: completion, streaming: true }
data:
  type: random
  input_distribution: { min: 10, max: 20, mean: 15, std_dev: 2 }
  output_distribution: { type: fixed, min: 1, max: 100, mean: 6 }
`;

/** The scenarios an inference-perf file `load` section makes. */
function scenarios(load: string, name: string): Record<string, Scenario> {
  writeFileSync(join(ctx.dir, `${name}.yaml`), `${load}${DATA}`);
  const config = loadWellLitConfig(`${name}.yaml`, { cwd: ctx.dir, env: {} });
  return applyScenarioOverrides(config.file, {}).config.scenarios;
}

/** Runs `scenario` on `url` (default the shared simulator) with its own request time limits, as a suite runs it. */
function run(name: string, scenario: Scenario, url = ctx.sim.url) {
  return runOn('ip-keys', ctx.dir, ctx.requests, name, simTarget(url, 'words'), scenario, undefined, timeoutsMs(undefined, scenario.timeouts));
}

interface Line {
  scenario: string;
  stage: number;
  warmup: boolean;
  intended_ms: number;
  sent_ms: number;
  end_ms: number;
  error: { class: string } | null;
}

function lines(scenario: string): Line[] {
  return readFileSync(join(ctx.dir, 'requests.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.scenario === scenario && !l.warmup);
}

/** Most requests in flight at once, from their send and end times. */
function peakInFlight(ls: readonly Line[]): number {
  const events = ls.flatMap((l) => [[l.sent_ms, 1] as const, [l.end_ms, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of events) peak = Math.max(peak, (now += d));
  return peak;
}

describe("an inference-perf file's load keys, against the simulator", () => {
  test('load.type: poisson sends int(rate × duration) requests at the per-second timer\'s times (base_seed)', async () => {
    const { poisson } = scenarios('load:\n  type: poisson\n  base_seed: 11\n  stages: [{ rate: 25, duration: 1.2 }]\n', 'poisson');
    const r = await run('poisson', poisson!);
    expect(r.stages.map((s) => s.sent)).toEqual([30]);
    expect(r.stats.requests.successful).toBe(30);
    const got = lines('poisson').map((l) => l.intended_ms).sort((a, b) => a - b);
    const want = [...inferencePerfPoissonOffsets(25, 1.2, 11)];
    expect(got.map((t) => t - got[0]!)).toEqual(want.map((t) => expect.closeTo(t - want[0]!, 1)));
  });

  test('concurrent stages: num_requests each, at most concurrency_level in flight, interval between the levels', async () => {
    const { concurrent } = scenarios('load:\n  type: concurrent\n  interval: 0.3\n  stages:\n  - { concurrency_level: 2, num_requests: 10 }\n  - { concurrency_level: 5, num_requests: 10 }\n', 'concurrent');
    const r = await run('concurrent', concurrent!);
    expect(r.stages.map((s) => s.sent)).toEqual([10, 10]);
    const ls = lines('concurrent');
    const stage = (k: number) => ls.filter((l) => l.stage === k);
    expect(peakInFlight(stage(0))).toBe(2);
    expect(peakInFlight(stage(1))).toBe(5);
    const gap = Math.min(...stage(1).map((l) => l.sent_ms)) - Math.max(...stage(0).map((l) => l.end_ms));
    expect(gap).toBeGreaterThanOrEqual(300);
  });

  test('request_timeout bounds the whole request: shorter than the answer takes, every request fails with total_timeout', async () => {
    const slow = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words', itl_ms: 20 });
    try {
      const { slow: sc } = scenarios('load:\n  type: concurrent\n  request_timeout: 0.08\n  stages: [{ concurrency_level: 2, num_requests: 4 }]\n', 'slow');
      expect(sc!.timeouts).toEqual({ total_s: 0.08, first_token_s: 0.08, idle_s: 0.08, connect_s: 0.08 });
      const r = await run('slow', sc!, slow.url);
      expect(r.stats.requests.total).toBe(4);
      expect(r.stats.requests.successful).toBe(0);
      expect(lines('slow').map((l) => l.error?.class)).toEqual(['total_timeout', 'total_timeout', 'total_timeout', 'total_timeout']);
    } finally {
      await slow.stop();
    }
  });
});
