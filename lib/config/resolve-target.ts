/**
 * Which target a run uses, from `targets.yaml` and the environment.
 *
 * Precedence, first match wins:
 * 1. `BENCH_TARGET=<name>`: that target of the targets file; `simulator` always works and
 *    means the embedded simulator (the file's `simulator` target when it has one).
 * 2. `BENCH_BASE_URL` alone: an ad-hoc endpoint target named `env` (nothing from the file is
 *    applied, so the file's headers and keys never go to a URL it does not name).
 * 3. The targets file's `default`, or its only target.
 * 4. Nothing configured: the embedded simulator.
 *
 * The targets file is `BENCH_TARGETS_FILE` when set, else `targets.yaml` in `cwd` if present.
 * Then `BENCH_BASE_URL` (with `BENCH_TARGET`), `BENCH_MODEL`, `BENCH_BACKEND` and `BENCH_API`
 * override the chosen target's fields, and each override is recorded. An endpoint's `tls.ca_file`
 * (or `BENCH_TLS_CA_FILE`, relative to `cwd`) is read here, so a missing or wrong file fails at once.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/config-error.ts';
import { didYouMean } from './closest-name.ts';
import { envString } from './env.ts';
import type { ConfigOverride } from './env.ts';
import { validateConfig } from './format-issues.ts';
import { loadConfigFile } from './load-file.ts';
import type { LoadedConfig } from './load-file.ts';
import { BaseUrlSchema, SIMULATOR_TARGET, TargetSchema } from './schema/target.ts';
import type { Target } from './schema/target.ts';
import type { SimulatorSection } from './schema/simulator.ts';
import { TargetsFileSchema } from './schema/targets-file.ts';
import { settings, type SettingName } from '../settings/registry.ts';
import type { TargetsFile } from './schema/targets-file.ts';
import type { Env } from './substitute.ts';

/** Where to look for configuration. */
export interface ResolveTargetOptions {
  /** Directory holding `targets.yaml`, and that relative paths are resolved against. */
  cwd: string;
  /** Environment: `process.env` or a test's own record. */
  env: Env;
}

/** A target with an endpoint URL. */
export type EndpointTarget = Target & { base_url: string };

/** Certificate verification of an endpoint, files read. */
export interface EndpointTls {
  /** PEM of the CA certificate(s) to trust instead of the system's. */
  ca?: string;
  /** The file it was read from, as given. */
  caFile?: string;
  /** Verify nothing. */
  insecureSkipVerify?: boolean;
}

/** What every selection carries besides the target itself. */
interface SelectionInfo {
  /** Where the target came from, e.g. `targets.yaml#local-vllm + BENCH_MODEL`, `env BENCH_BASE_URL`. */
  origin: string;
  /** Values to redact wherever config or messages are shown: the API key and secret-looking substitutions. */
  secrets: string[];
  /** Bearer key read from `env[target.api_key_env]`; endpoints only. Never log it. */
  apiKey?: string;
  /** Fields replaced from the environment, for reports. */
  overrides: ConfigOverride[];
}

/** The selected target: a real endpoint, or the embedded simulator with its settings. */
export type TargetSelection =
  | (SelectionInfo & { kind: 'endpoint'; target: EndpointTarget; tls?: EndpointTls })
  | (SelectionInfo & {
      kind: 'simulator';
      /** Target name (`simulator` unless the file names a tuned simulator target otherwise). */
      name: string;
      /** Settings for the embedded simulator (empty for defaults). */
      simulator: SimulatorSection;
      /** The rest of the target (model, api, timeouts, tokenizer); `base_url` is set by the fixture. */
      target: Target;
      /**
       * `BENCH_SIMULATOR_URL`: an embedded simulator already running there (one that
       * `vitest-llm-d launch` started for all its pods), used instead of starting one; the
       * target is still the simulator, and reports say so.
       */
      url?: string;
    });

/** Origin when nothing is configured. */
export const NOTHING_CONFIGURED = 'nothing configured: embedded simulator';

/** Loads and validates a targets file. */
export function loadTargetsFile(
  file: string,
  options: ResolveTargetOptions & { namedBy?: string },
): LoadedConfig<TargetsFile> {
  return loadConfigFile(file, TargetsFileSchema, options);
}

/** Chooses the target for this run; throws `ConfigError` for a bad file or environment variable. */
export function resolveTarget({ cwd, env }: ResolveTargetOptions): TargetSelection {
  const s = settings(env);
  const file = findTargetsFile(cwd, env);
  const loaded = file && loadTargetsFile(file.path, { cwd, env, namedBy: file.namedBy });
  const wanted = s.get('BENCH_TARGET');
  const baseUrl = readBaseUrl(env);
  const overrides: ConfigOverride[] = [];
  let target: Target;
  let origin: string;
  if (wanted !== undefined) {
    target = findTarget(loaded, wanted);
    const inFile = loaded?.value.targets.some((t) => t.name === wanted);
    origin = inFile && loaded ? `${loaded.source}#${wanted}` : `env BENCH_TARGET=${wanted}`;
  } else if (baseUrl !== undefined) {
    target = TargetSchema.parse({ name: 'env', base_url: baseUrl });
    origin = 'env BENCH_BASE_URL';
    overrides.push({ path: 'target.base_url', value: baseUrl, source: 'env BENCH_BASE_URL' });
  } else if (loaded) {
    target = defaultTarget(loaded);
    origin = `${loaded.source}#${target.name}`;
  } else {
    target = simulatorDefaults();
    origin = NOTHING_CONFIGURED;
  }

  const isSimulator = target.base_url === undefined;
  const set = <K extends keyof Target>(key: K, value: Target[K] | undefined, variable: string): void => {
    if (value === undefined) return;
    target = { ...target, [key]: value };
    overrides.push({ path: `target.${key}`, value, source: `env ${variable}` });
  };
  if (wanted !== undefined && baseUrl !== undefined) {
    if (isSimulator) {
      throw new ConfigError(
        'env',
        'BENCH_BASE_URL',
        `cannot be used with the embedded simulator target "${target.name}" (BENCH_TARGET); select an endpoint target or unset BENCH_TARGET`,
      );
    }
    set('base_url', baseUrl, 'BENCH_BASE_URL');
  }
  set('model', s.get('BENCH_MODEL'), 'BENCH_MODEL');
  const backend = s.get('BENCH_BACKEND');
  if (backend !== undefined && isSimulator) {
    throw new ConfigError('env', 'BENCH_BACKEND', 'does not apply to the embedded simulator, which serves the vLLM API');
  }
  set('backend', backend, 'BENCH_BACKEND');
  set('api', s.get('BENCH_API'), 'BENCH_API');
  checkSupportedModel(target);

  const extra = overrides.filter((o) => o.source !== 'env BENCH_BASE_URL' || wanted !== undefined);
  if (extra.length > 0) origin += ` + ${extra.map((o) => o.source.replace(/^env /, '')).join(', ')}`;
  const secrets = [...(loaded?.secrets ?? [])];
  const caFromEnv = s.get('BENCH_TLS_CA_FILE');
  if (isSimulator) {
    if (caFromEnv !== undefined) throw new ConfigError('env', 'BENCH_TLS_CA_FILE', 'does not apply to the embedded simulator, which serves plain http');
    const url = readUrl(env, 'BENCH_SIMULATOR_URL');
    if (url !== undefined) origin += ` (shared, at ${url}: BENCH_SIMULATOR_URL)`;
    return { kind: 'simulator', name: target.name, simulator: target.simulator ?? {}, target, origin, secrets, overrides, ...(url !== undefined ? { url } : {}) };
  }
  const apiKey = envString(env, target.api_key_env);
  if (apiKey !== undefined) secrets.push(apiKey);
  const selection: TargetSelection = { kind: 'endpoint', target: target as EndpointTarget, origin, secrets, overrides };
  if (apiKey !== undefined) selection.apiKey = apiKey;
  const tls = endpointTls(target, loaded, cwd, caFromEnv, overrides);
  if (tls) selection.tls = tls;
  return selection;
}

/** The endpoint's TLS settings with its CA file read; `BENCH_TLS_CA_FILE` replaces the file's `ca_file`. */
function endpointTls(
  target: Target,
  loaded: LoadedConfig<TargetsFile> | undefined,
  cwd: string,
  caFromEnv: string | undefined,
  overrides: ConfigOverride[],
): EndpointTls | undefined {
  const insecure = target.tls?.insecure_skip_verify === true;
  let file: string | undefined;
  let where: [source: string, path: string];
  let path: string;
  if (caFromEnv !== undefined) {
    if (insecure) throw new ConfigError('env', 'BENCH_TLS_CA_FILE', `target "${target.name}" sets tls.insecure_skip_verify: a CA file would not be used`);
    file = caFromEnv;
    path = resolve(cwd, file);
    where = ['env', 'BENCH_TLS_CA_FILE'];
    overrides.push({ path: 'target.tls.ca_file', value: file, source: 'env BENCH_TLS_CA_FILE' });
  } else if (target.tls?.ca_file !== undefined) {
    file = target.tls.ca_file;
    path = resolve(loaded ? dirname(loaded.path) : cwd, file);
    where = [loaded?.source ?? 'targets', `targets.${target.name}.tls.ca_file`];
  } else {
    return insecure ? { insecureSkipVerify: true } : undefined;
  }
  return { ca: readCaFile(path, file, where), caFile: file };
}

/** Reads a PEM CA file; one line naming the setting when it is missing, unreadable or not PEM (its content is never shown). */
function readCaFile(path: string, shown: string, [source, at]: [string, string]): string {
  let text: string;
  try {
    if (statSync(path).size > 1024 * 1024) throw new ConfigError(source, at, `"${shown}" is larger than 1 MiB: not a CA certificate file`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(source, at, code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path} (${code ?? (err as Error).message})`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(source, at, `"${shown}" is not a PEM certificate file (no -----BEGIN CERTIFICATE----- line)`);
  return text;
}

function findTargetsFile(cwd: string, env: Env): { path: string; namedBy?: string } | undefined {
  const named = settings(env).get('BENCH_TARGETS_FILE');
  if (named !== undefined) return { path: named, namedBy: 'named by BENCH_TARGETS_FILE' };
  return existsSync(resolve(cwd, 'targets.yaml')) ? { path: 'targets.yaml' } : undefined;
}

function readBaseUrl(env: Env): string | undefined {
  return readUrl(env, 'BENCH_BASE_URL');
}

function readUrl(env: Env, name: SettingName & ('BENCH_BASE_URL' | 'BENCH_SIMULATOR_URL')): string | undefined {
  const value = settings(env).get(name);
  if (value === undefined) return undefined;
  validateConfig(z.strictObject({ [name]: BaseUrlSchema }), { [name]: value }, { source: 'env' });
  return value;
}

function findTarget(loaded: LoadedConfig<TargetsFile> | undefined, name: string): Target {
  const found = loaded?.value.targets.find((t) => t.name === name);
  if (found) return found;
  if (name === SIMULATOR_TARGET) return simulatorDefaults();
  const names = [...(loaded?.value.targets.map((t) => t.name) ?? []), SIMULATOR_TARGET];
  const where = loaded ? `in ${loaded.source}` : '(no targets file: set BENCH_TARGETS_FILE or create targets.yaml)';
  const reason = `unknown target "${name}" ${where}${didYouMean(name, names)}; available: ${names.join(', ')}`;
  throw new ConfigError('env', 'BENCH_TARGET', reason);
}

function defaultTarget(loaded: LoadedConfig<TargetsFile>): Target {
  const { targets, default: name } = loaded.value;
  if (name !== undefined) return findTarget(loaded, name);
  const [only, ...others] = targets;
  if (only && others.length === 0) return only;
  const names = [...targets.map((t) => t.name), SIMULATOR_TARGET].join(', ');
  const reason = `not set and the file has ${targets.length} targets: set BENCH_TARGET to one of ${names}, or add default: <name>`;
  throw new ConfigError(loaded.source, 'default', reason);
}

function simulatorDefaults(): Target {
  return TargetSchema.parse({ name: SIMULATOR_TARGET });
}

/** BENCH_MODEL must be one of the target's `supported_models` when it lists them (the file's own `model` is checked by the schema). */
function checkSupportedModel(target: Target): void {
  const { model, supported_models: supported } = target;
  if (model === undefined || supported === undefined || supported.includes(model)) return;
  throw new ConfigError(
    'env',
    'BENCH_MODEL',
    `"${model}" is not in supported_models of target "${target.name}"${didYouMean(model, supported)}; supported: ${supported.join(', ')}`,
  );
}
