/**
 * The wiring of a distributed run (`lib/distributed/README.md`): set by `vitest-llm-d launch` in
 * the pods' environment and by `pod-run` for its vitest, read by the pods and the merge.
 */
import { anyNumber, bit, intRange, kind, text } from './kinds.ts';
import { envNamedFailure, setting } from './setting.ts';

/** A pod's place in the run: `<index>/<count>`, 0 <= index < count. */
const share = kind('<index>/<count>', (t) => {
  const m = /^(\d+)\/(\d+)$/.exec(t);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  return m && count >= 1 && index < count ? { index, count } : undefined;
}, (t) => `expected <index>/<count> with 0 <= index < count (e.g. 1/4), got ${JSON.stringify(t)}`);

const POD = '`vitest-llm-d pod-run` (set by the launcher)';
const VITEST_IN_POD = "a pod's vitest (set by `pod-run`)";
const wiring = { area: 'distributed', setByTool: true, fail: envNamedFailure } as const;

/** Distributed run settings. */
export const DISTRIBUTED_SETTINGS = {
  BENCH_SHARE: setting({ ...wiring, kind: share, appliesTo: VITEST_IN_POD, meaning: "The pod's share of every scenario's load." }),
  BENCH_COORDINATOR: setting({ ...wiring, kind: text('http://<host>:<port>'), appliesTo: `${POD}, ${VITEST_IN_POD}`, meaning: "Pod 0's coordinator (clock, barriers), through its Service." }),
  BENCH_COORDINATOR_PORT: setting({ ...wiring, kind: intRange(1, 65_535), appliesTo: POD, meaning: 'The port pod 0\'s coordinator listens on.' }),
  BENCH_PARALLELISM: setting({ ...wiring, kind: intRange(1, 10_000), appliesTo: POD, meaning: 'Pods in the Job.' }),
  BENCH_CLOCK_OFFSET_MS: setting({ ...wiring, kind: anyNumber, appliesTo: VITEST_IN_POD, default: 0, meaning: "This pod's wall clock minus pod 0's, ms." }),
  BENCH_CLOCK_OFFSET_BOUND_MS: setting({ ...wiring, kind: anyNumber, appliesTo: VITEST_IN_POD, meaning: 'Bound of the measured clock offset, ms.' }),
  BENCH_BARRIER_TIMEOUT_S: setting({
    ...wiring, kind: intRange(1, 86_400), appliesTo: `${POD}, ${VITEST_IN_POD}`, default: 120,
    defaultText: '120; the launcher sets the longest stage + 60', meaning: 'How long a stage barrier waits for missing pods, seconds.',
  }),
  BENCH_LAUNCH_STREAM: setting({ ...wiring, kind: bit, appliesTo: POD, default: false, meaning: "`1`: the pod writes its results folder to stdout as frames at the end." }),
  BENCH_RUN_ID: setting({ ...wiring, kind: text('run id'), appliesTo: POD, meaning: "The launch's run id (names its objects and folder)." }),
  BENCH_MERGE: setting({ ...wiring, kind: text('path'), appliesTo: 'the merge run after a launch (set by the launcher)', meaning: "The launch's run folder whose `pods/` records the tests merge." }),
};

/** Variables the tool sets for a hook command (`suites/config`); it never reads them. */
export const HOOK_SETTINGS = {
  BENCH_HOOK: setting({ area: 'hooks', kind: text('pre_workload or post_workload'), appliesTo: 'hook commands', setByTool: true, meaning: 'Which hook runs.' }),
  BENCH_HOOK_WORKLOAD: setting({ area: 'hooks', kind: text('name'), appliesTo: 'hook commands', setByTool: true, meaning: "The workload's name in the file." }),
  BENCH_HOOK_TEST: setting({ area: 'hooks', kind: text('name'), appliesTo: 'hook commands', setByTool: true, meaning: 'The test (scenario) the workload became.' }),
  BENCH_HOOK_RUN_DIR: setting({ area: 'hooks', kind: text('path'), appliesTo: 'hook commands', setByTool: true, meaning: "The suite's run folder (absolute); the hook may write there." }),
};

/** The client's own benchmark (`npm run bench`). */
export const TOOL_SETTINGS = {
  BENCH_QUICK: setting({ area: 'tool', kind: kind('1 to turn on', (t) => t === '1', () => ''), appliesTo: '`npm run bench`', default: false, meaning: 'Shorten every phase (a smoke run, not a measurement).' }),
  BENCH_MEMORY_CONFIG: setting({ area: 'tool', kind: text('JSON'), appliesTo: "`npm run bench`'s memory child (set by `bench/memory.ts`)", setByTool: true, meaning: 'What the memory child measures.' }),
};
