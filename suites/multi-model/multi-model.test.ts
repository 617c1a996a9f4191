import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const multiModel = loadScenarios(import.meta.url);
const { test } = multiModel;

describe('multi-model', () => {
  test('every_model', async ({ bench }) => {
    const result = await bench.run(multiModel.scenario('every_model'));
    const { models, target, stats } = result.report;
    const served = target.servedModels.length > 0 ? target.servedModels : [target.model];
    // Every served model got its share and its own results.
    const perModel = models ?? [{ model: target.model, stats }];
    expect(perModel.map((m) => m.model)).toEqual(served);
    for (const m of perModel) {
      expect(m.stats.requests.total, m.model).toBeGreaterThan(0);
      expect(m.stats.requests.successRate, `${m.model}: ${JSON.stringify(m.stats.errors)}`).toBeGreaterThanOrEqual(0.99);
    }
    // Routing errors were retried, not counted as failures, when there were any.
    expect(stats.retries.exhausted, JSON.stringify(stats.retries)).toBe(0);
    expect(result).toMeetSLO();
  });
});
