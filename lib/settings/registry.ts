/**
 * The settings registry: every environment variable this tool reads, declared once (see the
 * area files beside this one), and the one way to read them:
 *
 *     const s = settings(env);
 *     s.get('BENCH_DURATION')   // number | undefined, checked: a bad value throws one line
 *     s.get('BENCH_PROMETHEUS_TIMEOUT_S')   // number: the declared default when unset
 *
 * An unset or empty variable (`BENCH_MODEL=` in a CI file) is "not set". A set one is parsed by
 * its kind's zod schema; a bad value throws the declaration's error, by default a
 * `ConfigError` with source `env`: `env: BENCH_CONCURRENCY: expected a positive integer, got "abc"`.
 * `docs/settings.md` is generated from these declarations (`npm run docs:settings`).
 */
import { ACTUATION_SETTINGS, CLUSTER_SETTINGS, PROVISION_SETTINGS } from './cluster.ts';
import { DISTRIBUTED_SETTINGS, HOOK_SETTINGS, TOOL_SETTINGS } from './distributed.ts';
import { METRICS_SETTINGS } from './metrics.ts';
import { PUBLISH_SETTINGS, RESULTS_SETTINGS } from './results.ts';
import { PREFIX_CACHE_SETTINGS, SCENARIO_SETTINGS } from './scenarios.ts';
import type { SettingKind } from './kinds.ts';
import { envFailure, type Env, type Setting } from './setting.ts';
import { TARGET_SETTINGS } from './target.ts';

/** Every declared setting, by variable name, in reference-page order. */
export const SETTINGS = {
  ...TARGET_SETTINGS,
  ...SCENARIO_SETTINGS,
  ...PREFIX_CACHE_SETTINGS,
  ...METRICS_SETTINGS,
  ...CLUSTER_SETTINGS,
  ...PROVISION_SETTINGS,
  ...ACTUATION_SETTINGS,
  ...RESULTS_SETTINGS,
  ...PUBLISH_SETTINGS,
  ...DISTRIBUTED_SETTINGS,
  ...HOOK_SETTINGS,
  ...TOOL_SETTINGS,
};

/** The name of a declared setting. */
export type SettingName = keyof typeof SETTINGS;

type Declared<N extends SettingName> = (typeof SETTINGS)[N];
/** The value of setting `N` once parsed. */
export type SettingValue<N extends SettingName> = Declared<N> extends Setting<infer T, infer _D> ? T : never;
/** What {@link SettingsReader.get} returns for `N`: with a declared default, never undefined. */
export type SettingResult<N extends SettingName> = Declared<N> extends Setting<infer T, infer D> ? (undefined extends D ? T | undefined : T) : never;

/** The settings of one environment. */
export interface SettingsReader {
  /** The parsed value, or the declared default when unset or empty; throws for a bad value. */
  get<N extends SettingName>(name: N): SettingResult<N>;
  /** The parsed value, or undefined when unset or empty (the default not applied); throws for a bad value. */
  given<N extends SettingName>(name: N): SettingValue<N> | undefined;
  /** Whether the variable is set to something other than blanks (its value not checked). */
  has(name: SettingName): boolean;
}

/** The declaration of `name`. */
export function settingOf(name: SettingName): Setting {
  return SETTINGS[name] as Setting;
}

/**
 * Variable `name` of `env` parsed as `kind`: undefined when unset or blank; a bad value throws
 * `fail(name, message)`. The registry reads every declared setting this way.
 */
export function readSetting<T>(env: Env, name: string, kind: SettingKind<T>, fail: (name: string, message: string) => Error = envFailure): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const parsed = kind.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw fail(name, parsed.error.issues[0]?.message ?? 'invalid value');
}

/** Reads the settings of `env` (default `process.env`). */
export function settings(env: Env = process.env): SettingsReader {
  const given = <N extends SettingName>(name: N): SettingValue<N> | undefined => {
    const declared = settingOf(name);
    return readSetting(env, name, declared.kind, declared.fail) as SettingValue<N> | undefined;
  };
  return {
    given,
    get: <N extends SettingName>(name: N) => (given(name) ?? settingOf(name).default) as SettingResult<N>,
    has: (name) => (env[name]?.trim() ?? '') !== '',
  };
}
