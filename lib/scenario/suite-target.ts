/**
 * The target a suite's tests measure, chosen and opened once per worker: a config suite gets its
 * config's endpoint unless the environment names another (`chooseConfigTarget`); otherwise the
 * launcher's merge of a distributed run gets the target as the pods recorded it (nothing is
 * sent), else a stack provisioned on the cluster (`BENCH_PROVISION`), or the target
 * `resolveTarget` chooses (targets file, `BENCH_*`, else the embedded simulator, with the suite
 * file's `simulator:` settings when nothing else tunes it). Everything is read from the suite's
 * environment.
 */
import type { ConfigOverride } from '../config/env.ts';
import { resolveTarget } from '../config/resolve-target.ts';
import type { Env } from '../config/substitute.ts';
import { chooseConfigTarget } from '../config/well-lit/choose-target.ts';
import { readProvisionSettings } from '../k8s/provision-settings.ts';
import { openTarget, type OpenedTarget } from './open.ts';
import type { StartSimulator } from './open-target.ts';
import { type ClusterLease, openProvisionedTarget } from './provisioned-target.ts';
import type { BenchmarkSet } from './scenario-set.ts';

/** A worker's target, with what the environment and the files replaced (listed in every report). */
export type WorkerTarget = OpenedTarget & { overrides: ConfigOverride[] };

/** What opening a worker's target needs besides the suite. */
export interface SuiteTargetDeps {
  /** Directory the targets file and templates are found in. */
  cwd: string;
  /** Run id for a provisioned stack's run label. */
  runId(): string;
  /** Starts the embedded vLLM simulator. */
  startSimulator: StartSimulator;
  /** Opens the cluster a stack is provisioned on: the configured one or the embedded simulator. */
  openCluster(env: Env): Promise<ClusterLease>;
  /** The target of a distributed run's merge, as the pods recorded it (nothing is sent); null outside a merge. */
  recordedTarget(env: Env): Promise<OpenedTarget | null>;
}

/** Opens the target of the tests of a set of scenarios (`null`: the `test` bound to none, in `process.env`). The caller closes it. */
export async function openSuiteTarget(suite: BenchmarkSet | null, deps: SuiteTargetDeps): Promise<WorkerTarget> {
  const env = suite?.env ?? process.env;
  if (!suite?.config) return openUsualTarget(suite, env, deps);
  const { config, bundled } = suite.config;
  const choice = chooseConfigTarget(config, env, bundled);
  if (choice.kind === 'usual') {
    const target = await openUsualTarget(suite, env, deps);
    target.overrides.unshift(...choice.overrides);
    return target;
  }
  const target = await openTarget(choice.selection, { env, startSimulator: deps.startSimulator, ...(choice.apiKeySource === undefined ? {} : { apiKeySource: choice.apiKeySource }) });
  return Object.assign(target, { overrides: choice.selection.overrides });
}

/** The merge's recorded target, a provisioned stack (`BENCH_PROVISION`), or the target `resolveTarget` chooses. */
async function openUsualTarget(suite: BenchmarkSet | null, env: Env, deps: SuiteTargetDeps): Promise<WorkerTarget> {
  const recorded = await deps.recordedTarget(env);
  if (recorded) return Object.assign(recorded, { overrides: [] });
  const provision = readProvisionSettings(env);
  if (provision) {
    // A stack this worker creates on the cluster (or the cluster simulator) and deletes after the file.
    return openProvisionedTarget(provision, { env, cwd: deps.cwd, runId: deps.runId(), openCluster: () => deps.openCluster(env) });
  }
  const selection = resolveTarget({ cwd: deps.cwd, env });
  // The suite file's simulator settings (a multi-model gateway, say) when the embedded simulator is
  // the target and no targets file tunes it; the report lists them among the overrides.
  const settings = suite?.file.config.simulator;
  if (selection.kind === 'simulator' && settings && Object.keys(selection.simulator).length === 0) {
    selection.simulator = { ...settings };
    selection.overrides = [...selection.overrides, { path: 'target.simulator', value: { ...settings }, source: `${suite.file.source} simulator:` }];
  }
  const target = await openTarget(selection, { env, startSimulator: deps.startSimulator });
  return Object.assign(target, { overrides: selection.overrides });
}
