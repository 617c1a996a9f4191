/*
 * An inference-perf config file's load, translated and run against the simulator: each stage
 * sends exactly int(rate × duration) requests at the times inference-perf's constant timer gives
 * (seeded by base_seed), and load.interval is an idle gap between the stages, in the requests'
 * send times and in the stage table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyScenarioOverrides } from '../../lib/config/resolve-scenarios.ts';
import { loadWellLitConfig } from '../../lib/config/well-lit/index.ts';
import { inferencePerfConstantOffsets } from '../../lib/load/inference-perf-arrivals.ts';
import { renderTable } from '../../lib/render/table.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { runOn, simTarget, useSimRun } from './sim-target.ts';

const ctx = useSimRun('llmd-ip-load-');

/** inference-perf's own file layout: a constant load of two stages with a 0.6 s interval. */
const IP_FILE = `
load:
  type: constant
  interval: 0.6
  base_seed: 7
  stages:
    - rate: 20
      duration: 1
    - rate: 10
      duration: 1
api:
  type: completion
  streaming: true
server:
  type: vllm
  base_url: http://127.0.0.1:1
data:
  type: random
  input_distribution: {min: 10, max: 20, mean: 15, std_dev: 2}
  output_distribution: {min: 4, max: 8, mean: 6, std_dev: 1}
`;

interface Line {
  scenario: string;
  stage: number;
  warmup: boolean;
  intended_ms: number;
  sent_ms: number;
  end_ms: number;
}

function translated(env: Record<string, string> = {}): ScenarioInput {
  writeFileSync(join(ctx.dir, 'ip.yaml'), IP_FILE);
  const config = loadWellLitConfig('ip.yaml', { cwd: ctx.dir, env: {} });
  const { config: file } = applyScenarioOverrides(config.file, env);
  return file.scenarios.ip! as ScenarioInput;
}

describe('an inference-perf load against the simulator', () => {
  test('int(rate × duration) requests a stage at the constant timer\'s times, and the interval as an idle gap', async () => {
    const scenario = translated();
    expect(scenario.load).toMatchObject({ type: 'constant', arrivals: 'inference-perf', pause: 0.6, seed: 7 });
    const r = await runOn('ip', ctx.dir, ctx.requests, 'ip', simTarget(ctx.sim.url, 'words'), scenario);

    expect(r.stages.map((s) => s.sent)).toEqual([20, 10]);
    expect(r.stages.map((s) => s.stats.requests.successful)).toEqual([20, 10]);
    expect(r.workload.load).toContain("inference-perf's constant timer");
    expect(r.workload.load).toContain('0.6 s idle pause between stages');
    expect(r.stages[0]!.pause).toBeUndefined();
    expect(r.stages[1]!.pause!.plannedS).toBe(0.6);
    expect(r.stages[1]!.pause!.idleS).toBeGreaterThanOrEqual(0.6);

    const lines = readFileSync(join(ctx.dir, 'requests.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line).filter((l) => l.scenario === 'ip' && !l.warmup);
    const stage = (k: number): Line[] => lines.filter((l) => l.stage === k).sort((a, b) => a.intended_ms - b.intended_ms);
    // The schedule is the generator's, stage k seeded with base_seed + k: the same gaps between intended times.
    for (const [k, rate] of [[0, 20], [1, 10]] as const) {
      const want = [...inferencePerfConstantOffsets(rate, 1, 7 + k)];
      const got = stage(k).map((l) => l.intended_ms);
      expect(got.map((t) => t - got[0]!)).toEqual(want.map((t) => expect.closeTo(t - want[0]!, 1)));
    }
    // Nothing is sent in the pause: stage 1's first send comes at least 0.6 s after stage 0's last answer.
    const lastEnd = Math.max(...stage(0).map((l) => l.end_ms));
    const firstSent = Math.min(...stage(1).map((l) => l.sent_ms));
    expect(firstSent - lastEnd).toBeGreaterThanOrEqual(600);
    // ... and no stage's window includes it: each is about its own second (the last request is due at the stage's end).
    for (const s of r.stages) expect(s.durationS).toBeLessThan(1.5);
    // Nor the run's: its window is first intended send to last end, less the pause.
    const first = Math.min(...lines.map((l) => l.intended_ms));
    const last = Math.max(...lines.map((l) => l.end_ms));
    expect(r.stats.window.durationMs).toBeCloseTo(last - first - r.stages[1]!.pause!.idleS * 1000, 0);

    // stages.jsonl (as summary.json) gives the pause on the stage it came before.
    const stageLines = readFileSync(join(ctx.dir, 'stages.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { scenario: string; pause?: unknown });
    expect(stageLines.filter((l) => l.scenario === 'ip').map((l) => l.pause)).toEqual([undefined, { plannedS: 0.6, idleS: r.stages[1]!.pause!.idleS }]);

    const table = renderTable(r);
    expect(table).toMatch(/\(pause 0\.6 s: \d+\.\d\d s idle, nothing sent\)\n.*rate 10\/s/);
    if (process.env.SHOW_TABLE) console.log(table);
  });

  test('BENCH_ARRIVALS=exact and BENCH_PAUSE=0 give the exact process without a pause, recorded as overrides', () => {
    writeFileSync(join(ctx.dir, 'ip.yaml'), IP_FILE);
    const config = loadWellLitConfig('ip.yaml', { cwd: ctx.dir, env: {} });
    const { config: file, overrides } = applyScenarioOverrides(config.file, { BENCH_ARRIVALS: 'exact', BENCH_PAUSE: '0', BENCH_DURATION: '0.5' });
    expect(file.scenarios.ip!.load).toMatchObject({ arrivals: 'exact', pause: 0, stages: [{ rate: 20, duration: 0.5 }, { rate: 10, duration: 0.5 }] });
    expect(overrides.map((o) => `${o.path} ${o.source}`)).toEqual(
      expect.arrayContaining(['scenarios.ip.load.arrivals env BENCH_ARRIVALS', 'scenarios.ip.load.pause env BENCH_PAUSE', 'scenarios.ip.load.stages env BENCH_DURATION']),
    );
    // BENCH_DURATION shortens an inference-perf stage and its count with it: int(20 × 0.5) = 10.
    const shortened = applyScenarioOverrides(config.file, { BENCH_DURATION: '0.5' }).config.scenarios.ip!;
    expect(shortened.load).toMatchObject({ arrivals: 'inference-perf', stages: [{ rate: 20, duration: 0.5 }, { rate: 10, duration: 0.5 }] });
  });
});
