import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const load = loadScenarios(import.meta.url);
const { test } = load;

describe('load', () => {
  test('sustained_users', async ({ bench }) => {
    const result = await bench.run(load.scenario('sustained_users'));
    const { stages, stop } = result.report;
    expect(stop, stop ? `stopped at ${stop.stage}: ${stop.detail}` : '').toBeNull();
    expect(stages.map((s) => s.label)).toEqual(['ramp 10→100 users', '100 users']);
    expect(result.stage('100 users')).toMeetSLO();
  });
});
