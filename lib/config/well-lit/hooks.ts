/**
 * The workload hooks of a well-lit-path config, as llm-d-benchmark's
 * `existing_stack/run_only.sh` resolves them: `hooks.pre_workload` and `hooks.post_workload`,
 * each replaced by its command-line flag (`--pre-workload`, `--post-workload`; here
 * `BENCH_PRE_WORKLOAD`, `BENCH_POST_WORKLOAD`) when that is set and not empty. And the
 * environment a hook runs in: this process's, with what the hook is running around.
 */
import { settings } from '../../settings/registry.ts';
import type { Env } from '../substitute.ts';
import type { RunDescriptionSection } from './sections-schema.ts';

/** The two hooks, in the order they run around a workload. */
export const HOOK_NAMES = ['pre_workload', 'post_workload'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** The variable that replaces each hook's command (run_only.sh's `--pre-workload` and `--post-workload`). */
export const HOOK_OVERRIDES: Readonly<Record<HookName, 'BENCH_PRE_WORKLOAD' | 'BENCH_POST_WORKLOAD'>> = { pre_workload: 'BENCH_PRE_WORKLOAD', post_workload: 'BENCH_POST_WORKLOAD' };

/** A hook to run around each workload, and where its command came from. */
export interface HookCommand {
  hook: HookName;
  command: string;
  /** `config.yaml hooks.pre_workload`, or `env BENCH_PRE_WORKLOAD`. */
  source: string;
}

/** The hooks to run: the file's, each replaced by its variable when that is set and not empty. */
export function hookCommands(hooks: Readonly<Record<HookName, string | null>>, source: string, env: Env): Partial<Record<HookName, HookCommand>> {
  const out: Partial<Record<HookName, HookCommand>> = {};
  for (const hook of HOOK_NAMES) {
    const name = HOOK_OVERRIDES[hook];
    const given = settings(env).get(name);
    if (given !== undefined && given.trim() !== '') out[hook] = { hook, command: given, source: `env ${name}` };
    else if (hooks[hook] !== null) out[hook] = { hook, command: hooks[hook]!, source: `${source} hooks.${hook}` };
  }
  return out;
}

/** What a hook is running around. */
export interface HookContext {
  hook: HookName;
  /** The workload's name in the file (a harness matrix's entry for each of its pairs). */
  workload: string;
  /** The test: the scenario the workload became. */
  test: string;
  /** The suite's run folder (absolute). */
  runDir: string;
  description: RunDescriptionSection | null;
}

/**
 * The environment of a hook: this process's (the file's `env` entries are in it), plus
 * `BENCH_HOOK` (`pre_workload`, `post_workload`), `BENCH_HOOK_WORKLOAD`, `BENCH_HOOK_TEST`,
 * `BENCH_HOOK_RUN_DIR`, and the description as llm-d-benchmark's harness pod has it
 * (`LLMDBENCH_DESCRIPTION_TEXT`, `LLMDBENCH_DESCRIPTION_KEYWORDS`: comma-separated).
 */
export function hookEnv(base: NodeJS.ProcessEnv, c: HookContext): NodeJS.ProcessEnv {
  return {
    ...base,
    BENCH_HOOK: c.hook,
    BENCH_HOOK_WORKLOAD: c.workload,
    BENCH_HOOK_TEST: c.test,
    BENCH_HOOK_RUN_DIR: c.runDir,
    LLMDBENCH_DESCRIPTION_TEXT: c.description?.text ?? '',
    LLMDBENCH_DESCRIPTION_KEYWORDS: c.description?.keywords.join(',') ?? '',
  };
}
