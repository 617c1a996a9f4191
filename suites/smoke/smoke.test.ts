import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const smoke = loadScenarios(import.meta.url);
const { test } = smoke;

/** Backends whose servers have a `/health` route (OpenAI's API and Ollama's have none). */
const HAS_HEALTH = new Set(['vllm', 'llm-d', 'sglang', 'tgi', 'llama.cpp']);

describe('smoke', () => {
  test('health endpoint answers 200', async ({ target, skip }) => {
    if (!HAS_HEALTH.has(target.info.backend)) skip(`backend ${target.info.backend} has no /health route`);
    const res = await target.probe('/health');
    expect(res.status, `GET ${target.info.baseUrl.replace(/\/v\d+$/, '')}/health`).toBe(200);
  });

  test('model is listed by /v1/models', ({ target }) => {
    expect(target.info.servedModels, `models served by ${target.info.baseUrl}`).toContain(target.info.model);
  });

  test('one completion returns text', async ({ bench }) => {
    const result = await bench.run(smoke.scenario('one_completion'));
    expect(result).toMeetSLO();
    expect(result.stats.tokens.output.max, 'output tokens of the completion').toBeGreaterThan(0);
  });
});
