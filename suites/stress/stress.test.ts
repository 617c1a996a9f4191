import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const stress = loadScenarios(import.meta.url);
const { test } = stress;

describe('stress', () => {
  test('breaking_point', async ({ bench }) => {
    const result = await bench.run(stress.scenario('breaking_point'));
    const { stop, stages } = result.report;
    const last = stages.at(-1)!;
    // A breaking point was found within the levels run; raise the levels if not.
    expect(stop, `no stop rule fired up to ${last.label}: the stack did not break; add higher levels`).not.toBeNull();
    expect(stop!.lastGood, `the first level, ${stages[0]!.label}, already broke a rule: ${stop!.detail}`).not.toBeNull();
    // Every level up to the breaking point ran and was reported.
    expect(stages.at(-1)!.label).toBe(stop!.stage);
  });
});
