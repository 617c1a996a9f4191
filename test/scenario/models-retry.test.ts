/*
 * Several models through one endpoint, and retries with exponential backoff for routing errors,
 * against the simulator serving three models with injected 503s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RetrySchema } from '../../lib/config/schema/scenario.ts';
import { backoffOf, type RetryPolicy } from '../../lib/load/runner.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
import { runOn, simTarget } from './sim-target.ts';

const MODELS = ['Qwen/Qwen3-0.6B', 'meta-llama/Llama-3.1-8B-Instruct', 'ibm-granite/granite-3.3-2b-instruct'];
let dir: string;
let sim: SimProcess;
let requests: RequestsFile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-models-'));
  sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words', models: MODELS, faults: { error_rate: 0.3, error_statuses: [503] } });
  requests = new RequestsFile(join(dir, 'requests.jsonl'));
});

afterAll(async () => {
  requests.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(name: string, scenario: Partial<ScenarioInput>): Promise<TestReport> {
  const target = simTarget(sim.url, 'words');
  return runOn('models', dir, requests, name, { ...target, info: { ...target.info, servedModels: MODELS } }, {
    stream: true, warmup_requests: 0, num_requests: 30, load: { type: 'concurrency', concurrency: 3 }, data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [8] }, ...scenario,
  });
}

const retry = RetrySchema.parse({ on: ['http_503'], max_attempts: 10, backoff_s: 0.002, max_backoff_s: 0.02 });

describe('several models, with retries', () => {
  test('requests rotate over every served model; 503s are retried until they succeed, with statistics', async () => {
    const r = await run('served', { models: 'served', retry });
    expect(r.models!.map((m) => [m.model, m.stats.requests.total])).toEqual(MODELS.map((m) => [m, 10]));
    expect(r.stats.requests).toMatchObject({ total: 30, successful: 30, failed: 0 });
    const rt = r.stats.retries;
    // 30% of attempts fail: with 30 requests some must have been retried (seeded simulator).
    expect(rt.requests).toBeGreaterThan(0);
    expect(rt.recovered).toBe(rt.requests);
    expect(rt.exhausted).toBe(0);
    expect(Object.keys(rt.byKey)).toEqual(['http_503']);
    expect(rt.byKey.http_503).toBe(rt.retries);
    expect(r.models!.reduce((n, m) => n + m.stats.retries.retries, 0)).toBe(rt.retries);

    const lines = readFileSync(join(dir, 'requests.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .filter((l) => l.scenario === 'served');
    const retried = lines.filter((l) => l.retries !== null);
    expect(retried).toHaveLength(rt.requests);
    for (const l of retried) {
      // Latency from intended covers every attempt and wait; from the send, only the last attempt.
      const waited = l.retries.reduce((s: number, a: { backoff_ms: number }) => s + a.backoff_ms, 0);
      expect(l.metrics.e2e_from_intended_ms - l.metrics.e2e_ms).toBeGreaterThanOrEqual(waited - 0.01);
      expect(l.retries[0].sent_ms).toBeLessThan(l.sent_ms);
      expect(l.retries.every((a: { key: string }) => a.key === 'http_503')).toBe(true);
    }
  });

  test('without a retry policy the same errors are failures', async () => {
    const r = await run('no-retry', { models: 'served' });
    expect(r.stats.retries.requests).toBe(0);
    expect(r.stats.requests.failed).toBeGreaterThan(0);
    expect(Object.keys(r.stats.errors)).toEqual(['http_503']);
  });

  test('a model the server does not route: retried to the limit, then failed, counted as exhausted, and noted', async () => {
    const r = await run('unknown', {
      num_requests: 6,
      models: [MODELS[0]!, 'no/such-model'],
      retry: RetrySchema.parse({ on: ['http_404', 'http_503'], max_attempts: 3, backoff_s: 0.001, max_backoff_s: 0.002 }),
    });
    const unknown = r.models!.find((m) => m.model === 'no/such-model')!;
    expect(unknown.stats.requests).toMatchObject({ total: 3, successful: 0, failed: 3 });
    expect(unknown.stats.retries).toMatchObject({ requests: 3, exhausted: 3, recovered: 0 });
    expect(unknown.stats.retries.byKey.http_404).toBeGreaterThanOrEqual(3);
    expect(r.workload.notes).toContain('model(s) not listed by the target at /v1/models: no/such-model');
  });
});

describe('backoffOf', () => {
  const p: RetryPolicy = { on: new Set(['http_503']), maxAttempts: 6, initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2, jitter: 0 };
  test('doubles from the initial wait up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((k) => backoffOf(p, k, 7))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  test('jitter stays within its bounds, is repeatable, and spreads requests out', () => {
    const j = { ...p, jitter: 0.2 };
    const waits = Array.from({ length: 200 }, (_, seq) => backoffOf(j, 1, seq));
    for (const w of waits) {
      expect(w).toBeGreaterThanOrEqual(160);
      expect(w).toBeLessThanOrEqual(240);
    }
    expect(new Set(waits.map((w) => Math.round(w))).size).toBeGreaterThan(30);
    expect(backoffOf(j, 1, 42)).toBe(backoffOf(j, 1, 42));
  });
});
