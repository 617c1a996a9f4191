/**
 * A consumer's file, typechecked by `npm run typecheck` (it is never run): public imports only,
 * and the types a user's editor shows. `toMeetSLO`/`toNotRegress` on `expect`, the reports in
 * `task.meta`, `inject('llmdRun')` and the fixtures are typed through `vitest-llm-d`; the lines
 * marked `@ts-expect-error` are mistakes the types must refuse.
 */
import { describe, inject } from 'vitest';
import { type BenchResult, defineScenario, expect, loadScenarios, type ScenarioRef, type Scenarios, test } from 'vitest-llm-d';
import { llmd, type LlmdOptions } from 'vitest-llm-d/config';
import { createRunInfo, llmdReporters, type RunInfo } from 'vitest-llm-d/reporters';

const scenarios: Scenarios = loadScenarios(import.meta.url);
const small: ScenarioRef = defineScenario({ name: 'small', num_requests: 2, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'synthetic', prompt_tokens: [8], max_tokens: [4] } });

describe('a consumer', () => {
  scenarios.test('from its YAML', async ({ bench, target, task }) => {
    const result: BenchResult = await bench.run(scenarios.scenario('quick'));
    expect(result).toMeetSLO('mlperf-standard');
    expect(result).toNotRegress();
    const model: string = target.info.model;
    const suite: string | undefined = task.meta.llmd?.suite;
    const run: RunInfo = inject('llmdRun');
    void [model, suite, run];
    // @ts-expect-error an unknown matcher: only the ones the package adds are typed
    expect(result).toMeetSLA();
    // @ts-expect-error bench.run takes a scenario ref, not a scenario's name
    await bench.run('quick');
  });

  test('written here', async ({ bench, actuation }) => {
    expect(await bench.run(small)).toMeetSLO({ ttft_p95_ms: 200 });
    const ref = loadScenarios('actuation.yaml').scenario('baseline');
    expect(await actuation.run(ref)).toMeetSLO({ hotP95Seconds: 2 });
  });
});

// @ts-expect-error a scenario needs its name
defineScenario({ num_requests: 2, load: { type: 'concurrency', concurrency: 1 }, data: { type: 'synthetic', prompt_tokens: [8], max_tokens: [4] } });

const options: LlmdOptions = { run: createRunInfo() };
void [llmd(options), llmdReporters(createRunInfo())];
