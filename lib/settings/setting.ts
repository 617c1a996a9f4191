/**
 * One declared setting: an environment variable with its kind (a zod schema from text to value),
 * default, meaning and where it applies. The declarations, by area, are the other files of this
 * folder; `registry.ts` reads them. The fixed value lists settings choose from are here too, so
 * the schemas that use them as well (`config/schema/target.ts`, `k8s/stack-access.ts`) take
 * them from here without loading the registry.
 */
import { ConfigError } from '../errors/config-error.ts';
import type { SettingKind } from './kinds.ts';

/** Server software behind a target; picks default capabilities (see `lib/apis/capabilities.ts`). */
export const BACKENDS = ['vllm', 'llm-d', 'sglang', 'tgi', 'ollama', 'llama.cpp', 'lmstudio', 'openai', 'other'] as const;

/** OpenAI APIs a target can be benchmarked through. */
export const APIS = ['completions', 'chat'] as const;

/** How a provisioned stack is reached, as `BENCH_PROVISION_ACCESS` takes them. */
export const ACCESS_MODES = ['url', 'service-dns', 'cluster-ip', 'port-forward'] as const;

/** How inference-perf-style arrivals are spaced (`load.arrivals`). */
export const ARRIVALS = ['exact', 'inference-perf'] as const;

/** Environment variables as a process has them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where a setting belongs on the reference page. */
export type SettingArea =
  | 'target'
  | 'scenarios'
  | 'prefix cache'
  | 'server metrics'
  | 'cluster'
  | 'provisioning'
  | 'actuation'
  | 'results'
  | 'publishing'
  | 'distributed'
  | 'hooks'
  | 'tool';

/** A declared setting of value type `T`; `D` is its default's type (`undefined`: none). */
export interface Setting<T = unknown, D extends T | undefined = T | undefined> {
  area: SettingArea;
  kind: SettingKind<T>;
  /** One line: what it does. */
  meaning: string;
  /** Where it applies: suites, commands, processes. */
  appliesTo: string;
  /** The value when unset or empty. */
  default: D;
  /** The default in words when it is not one value (`the context's namespace`); else the default itself is shown. */
  defaultText?: string;
  /**
   * The error for a bad value, from the kind's message; default `env: NAME: message`
   * ({@link ConfigError} with source `env`).
   */
  fail?: (name: string, message: string) => Error;
  /** Set by the tool for another process (a hook, a pod, a child) rather than by the user. */
  setByTool?: boolean;
}

/** The options of {@link setting}, the default optional. */
type SettingInput<T, D extends T | undefined> = Omit<Setting<T, D>, 'default'> & { default?: D };

/** Declares a setting; its type follows from the kind and the default. */
export function setting<T, D extends T | undefined = undefined>(input: SettingInput<T, D>): Setting<T, D> {
  return { ...input, default: input.default as D };
}

/** The default failure: `env: BENCH_RATE: expected a positive number, got "x"`. */
export function envFailure(name: string, message: string): Error {
  return new ConfigError('env', name, message);
}

/** The failure of the distributed run's wiring: `env BENCH_SHARE: expected ...`. */
export function envNamedFailure(name: string, message: string): Error {
  return new ConfigError(`env ${name}`, '', message);
}
