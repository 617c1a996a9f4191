import { describe } from 'vitest';
import { expect, loadScenarios, test } from 'vitest-llm-d';

const dist = loadScenarios(import.meta.url);

describe('dist', () => {
  test('poisson', async ({ bench }) => {
    const result = await bench.run(dist.scenario('poisson'));
    expect(result.stats.requests.successRate).toBe(1);
  });

  test('sweep', async ({ bench }) => {
    const result = await bench.run(dist.scenario('sweep'));
    expect(result.stats.requests.successRate).toBe(1);
  });
});
