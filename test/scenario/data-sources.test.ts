import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { TestReport } from '../../lib/report/model.ts';
import type { OpenTarget } from '../../lib/scenario/open-target.ts';
import { runScenario, type ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
import { resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import { TIMEOUTS } from '../http/drive.ts';
import { simTarget } from './sim-target.ts';

/** One line of requests.jsonl, as far as these tests read it. */
interface Line {
  scenario: string;
  seq: number;
  cell: string;
  prompt_tokens: number;
  max_tokens: number;
  status: number;
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens: number | null } | null;
}

let dir: string;
let sim: SimProcess;
let target: OpenTarget;
let requests: RequestsFile;

// The simulator counts prompts with the real Qwen3 tokenizer, the model's own: the client's
// token-exact prompts must come back as the same usage.prompt_tokens (completions API: no chat
// template adds tokens).
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-data-'));
  sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'qwen3' });
  target = simTarget(sim.url, 'qwen3');
  requests = new RequestsFile(join(dir, 'requests.jsonl'));
});

afterAll(async () => {
  requests.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(name: string, data: ScenarioInput['data']): Promise<TestReport> {
  return runScenario({
    suite: 'unit',
    name,
    scenario: { stream: true, num_requests: 10, warmup_requests: 0, load: { type: 'concurrency', concurrency: 2 }, data },
    target,
    slo: { ...resolveScenarioSlo(undefined, {}, 'test.yaml'), floors: { minSuccessRate: 0.95, maxScheduleLagP99Ms: 50 } },
    timeouts: TIMEOUTS,
    runDir: dir,
    requests,
    overrides: [],
    seedSalt: 'data-sources',
  });
}

function linesOf(name: string): Line[] {
  return readFileSync(join(dir, 'requests.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.scenario === name)
    .sort((a, b) => a.seq - b.seq);
}

describe('new data sources against the simulator (Qwen3 tokenizer on both sides)', () => {
  test('random: the server counts exactly the drawn prompt lengths, and outputs max_tokens', async () => {
    const report = await run('random', {
      type: 'random',
      input_distribution: { min: 20, max: 400, mean: 150, std: 80 },
      output_distribution: { min: 2, max: 12, mean: 6, std: 3 },
      seed: 11,
    });
    const lines = linesOf('random');
    expect(lines).toHaveLength(10);
    for (const l of lines) {
      expect(l.status).toBe(200);
      expect(l.usage!.prompt_tokens).toBe(l.prompt_tokens);
      expect(l.usage!.completion_tokens).toBe(l.max_tokens);
    }
    // Lengths really vary, and the cells are the input buckets.
    expect(new Set(lines.map((l) => l.prompt_tokens)).size).toBeGreaterThan(5);
    expect(report.workload.data).toMatchObject({ type: 'random', seed: 11, tokenizer: { name: 'qwen3', exact: true } });
    expect(report.cells.map((c) => c.cell)).toEqual(['input=20-114', 'input=115-209', 'input=210-304', 'input=305-400']);
    expect(report.cells.reduce((n, c) => n + c.stats.requests.total, 0)).toBe(10);
  });

  test('shared_prefix: exact prompt lengths, and the server caches the shared prefix after each group is warm', async () => {
    const report = await run('shared', {
      type: 'shared_prefix',
      num_groups: 2,
      num_prompts_per_group: 5,
      system_prompt_len: 64,
      question_len: 10,
      output_len: 4,
    });
    const lines = linesOf('shared');
    expect(lines).toHaveLength(10);
    for (const l of lines) {
      expect(l.usage!.prompt_tokens).toBe(74);
      expect(l.prompt_tokens).toBe(74);
      expect(l.usage!.completion_tokens).toBe(4);
      expect(l.cell).toBe('shared_prefix');
    }
    // Requests 4.. come after their group's first prompt finished (concurrency 2, round-robin
    // over 2 groups): the simulator's prefix cache serves the 64-token prefix in whole blocks.
    for (const l of lines.slice(4)) expect(l.usage!.cached_tokens).toBeGreaterThan(0);
    expect(report.cells.map((c) => c.cell)).toEqual(['shared_prefix']);
  });
});
