/** The OpenTarget `runScenario` tests use: the vLLM simulator at `url`, counted with `tokenizer`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { capabilitiesFor } from '../../lib/apis/index.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
import type { TimeoutsMs } from '../../lib/http/target.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import type { OpenTarget } from '../../lib/scenario/open-target.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { runScenario, type ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import type { SloFloors, SloProfile } from '../../lib/slo/profile.ts';
import { resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import { MODEL, TIMEOUTS } from '../http/drive.ts';

export function simTarget(url: string, tokenizer: OpenTarget['tokenizer']): OpenTarget {
  return {
    info: { name: 'simulator', kind: 'simulator', origin: 'test', baseUrl: url, model: MODEL, servedModels: [MODEL], backend: 'vllm', accelerator: null, notes: null, simulator: null },
    http: new HttpTarget({ baseUrl: url, timeouts: TIMEOUTS }),
    caps: capabilitiesFor('vllm'),
    defaultApi: 'completions',
    maxTokens: null,
    tokenizer,
    timeoutOverrides: undefined,
  };
}

/**
 * Runs a scenario of suite `suite` against `target`, writing to `runDir` and `requests`, with the
 * default SLO profile (or `slo`) and the schedule-lag floor widened to 50 ms: these tests run
 * several simulators on a 2-core machine, which can delay a send by more than the default 10 ms.
 */
export function runOn(
  suite: string,
  runDir: string,
  requests: RequestsFile,
  name: string,
  target: OpenTarget,
  scenario: ScenarioInput,
  slo: { profiles: SloProfile[]; floors: SloFloors } = resolveScenarioSlo(undefined, {}, 't.yaml'),
  timeouts: TimeoutsMs = TIMEOUTS,
): Promise<TestReport> {
  return runScenario({
    suite,
    name,
    scenario,
    target,
    slo: { ...slo, floors: { ...slo.floors, maxScheduleLagP99Ms: 50 } },
    timeouts,
    runDir,
    requests,
    overrides: [],
    seedSalt: name,
  });
}

/** A simulator, a run folder and its requests.jsonl, shared by the tests of one file. */
export interface SimRun {
  readonly dir: string;
  readonly sim: SimProcess;
  readonly requests: RequestsFile;
}

/**
 * Starts the `test-fast` simulator (words tokenizer) and a run folder before the file's tests and
 * removes both after them; read the fields inside tests, once `beforeAll` has run.
 */
export function useSimRun(prefix: string): SimRun {
  const run = {} as { dir: string; sim: SimProcess; requests: RequestsFile };
  beforeAll(async () => {
    run.dir = mkdtempSync(join(tmpdir(), prefix));
    run.sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words' });
    run.requests = new RequestsFile(join(run.dir, 'requests.jsonl'));
  });
  afterAll(async () => {
    run.requests?.close();
    await run.sim?.stop();
    if (run.dir) rmSync(run.dir, { recursive: true, force: true });
  });
  return run;
}
