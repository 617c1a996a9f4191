import { describe } from 'vitest';
import { expect, loadScenarios, test } from 'vitest-llm-d';

// The scenarios of actuation.yaml; each runs against the configured cluster, or the embedded
// cluster simulator when none is configured, and deletes what it created.
const actuation = loadScenarios(import.meta.url);

describe('actuation', () => {
  test('baseline', async ({ actuation: a }) => {
    const result = await a.run(actuation.scenario('baseline'));
    expect(result).toMeetSLO();
  });

  test('scaling', async ({ actuation: a }) => {
    const result = await a.run(actuation.scenario('scaling'));
    expect(result).toMeetSLO();
  });

  test('wake_cycle', async ({ actuation: a }) => {
    const result = await a.run(actuation.scenario('wake_cycle'));
    expect(result).toMeetSLO({ hotP95Seconds: 15, hitRateMin: 0.9 });
  });

  test('new_variant', async ({ actuation: a }) => {
    const result = await a.run(actuation.scenario('new_variant'));
    expect(result).toMeetSLO();
    expect(result.summary.hitRates.hot).toBe(0);
  });

  test('launcher_cold', async ({ actuation: a }) => {
    const result = await a.run(actuation.scenario('launcher_cold'));
    expect(result).toMeetSLO();
    expect(result.summary.hitRates.coldLauncher).toBe(1);
  });

  test('launcher_warm', async ({ actuation: a }) => {
    const result = await a.run(actuation.scenario('launcher_warm'));
    expect(result).toMeetSLO();
    expect(result.summary.hitRates.warm).toBe(1);
  });

  test('launcher_hot', async ({ actuation: a }) => {
    const result = await a.run(actuation.scenario('launcher_hot'));
    expect(result).toMeetSLO({ hotP95Seconds: 15, hitRateMin: 0.9 });
  });
});
