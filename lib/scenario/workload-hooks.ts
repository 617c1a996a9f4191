/**
 * A config suite's workload hooks around one test: `pre_workload`, the test's body (it measures
 * with `bench.run`), then `post_workload`, also when the body or the pre hook failed. A failing
 * pre hook fails the test and the body is not run; a failing post hook fails it after the body's
 * report was recorded. The hooks' environment and logs are described in
 * `lib/config/well-lit/hooks.ts` and `run-hook.ts`. The launcher's merge of a distributed run
 * runs no hook: the pods ran them around their shares.
 */
import type { Env } from '../config/substitute.ts';
import { hookEnv, type HookName } from '../config/well-lit/hooks.ts';
import type { HookReport, RunDescription } from '../report/model.ts';
import { secretValues } from '../run-folder/environment.ts';
import { hookError, hookPassed, runHook } from './run-hook.ts';
import type { SuiteConfig } from './scenario-set.ts';
import { settings } from '../settings/registry.ts';

/** The config's description and the hooks that ran so far: what a test's report shows of them. */
export interface WorkloadRecord {
  description: RunDescription | null;
  hooks: HookReport[];
}

/** Where one test's hooks run. */
export interface HookSite {
  config: SuiteConfig;
  /** The suite's environment (the config's `env` entries included). */
  env: Env;
  /** The suite's run folder; logs go to `hooks/<scenario>.<hook>.log` in it. */
  runDir: string;
  /** The test's signal: after it fired the post hook does not run (the test is over). */
  signal: AbortSignal;
  /** Called with what ran after each hook and after the body (the fixture puts it in the test's meta). */
  record(r: WorkloadRecord): void;
}

/** Runs `body` between the workload hooks of `scenario`; throws the test's failure, with a failed post hook's added. */
export async function aroundWorkload(site: HookSite, scenario: string, body: () => Promise<void>): Promise<void> {
  const { config, run } = site.config;
  const { env, runDir, signal } = site;
  const ran: HookReport[] = [];
  const record = (): void => site.record({ description: config.description, hooks: [...ran] });
  const merging = settings(env).get('BENCH_MERGE') !== undefined;
  const hook = async (name: HookName, consequence: string) => {
    const h = merging ? undefined : run.hooks[name];
    if (!h) return null;
    const log = `hooks/${scenario}.${name}.log`;
    const hookVars = hookEnv(env, { hook: name, workload: run.workloadOf(scenario), test: scenario, runDir, description: config.description });
    const result = await runHook({ hook: name, command: h.command, source: h.source, runDir, log, env: hookVars, signal, secrets: [...config.secrets, ...secretValues(env)] });
    ran.push(result.report);
    record();
    return hookPassed(result.report) ? null : hookError(result, scenario, consequence, `${runDir}/${log}`);
  };

  // A failed pre hook: the workload is not run, and the post hook still gets to clean up after it.
  let failure: unknown = await hook('pre_workload', 'the workload was not run');
  if (!failure) {
    try {
      await body();
    } catch (err) {
      failure = err;
    }
  }
  record();
  // After a timeout or a cancel the test is over: a post hook now would overlap the next test.
  const postFailed = signal.aborted ? null : await hook('post_workload', failure ? 'the test had failed already' : 'its measurements are kept');
  if (failure && postFailed && failure instanceof Error) failure.message += `\n\nAlso: ${postFailed.message}`;
  if (failure) throw failure;
  if (postFailed) throw postFailed;
}
