/**
 * The `BENCH_PROVISION*` environment variables, read and checked in one place for the `target`
 * fixture and the `vitest-llm-d provision` command:
 *
 * | variable | meaning |
 * | --- | --- |
 * | `BENCH_PROVISION` | template of the stack to provision (e.g. `examples/standalone/vllm-standalone.yaml`) |
 * | `BENCH_PROVISION_URL` | a URL in front of the stack (gateway, route): access mode `url` |
 * | `BENCH_PROVISION_ACCESS` | force `url`, `service-dns`, `cluster-ip` or `port-forward` |
 * | `BENCH_PROVISION_TIMEOUT_S` | rollout timeout in cluster seconds (default 900) |
 * | `BENCH_PROVISION_NAME` | `STACK_NAME` of the objects (default `vllm-standalone-<run suffix>`) |
 * | `BENCH_PROVISION_DRY_RUN` | `1`: print the manifests, create nothing, measure nothing |
 *
 * Each bad value is one `ConfigError` line naming the variable. In a suite the provisioned stack
 * is the target, so `BENCH_BASE_URL` or `BENCH_TARGET` beside `BENCH_PROVISION` is an error.
 */
import { z } from 'zod';
import { envEnum, envString, envTimerSeconds } from '../config/env.ts';
import { validateConfig } from '../config/format-issues.ts';
import { BaseUrlSchema } from '../config/schema/target.ts';
import type { Env } from '../config/substitute.ts';
import { ConfigError } from '../errors/index.ts';
import { ACCESS_MODES, type AccessMode } from './stack-access.ts';

/** What the environment asks to provision, and how. */
export interface ProvisionSettings {
  /** The template path, as given. */
  template: string;
  url?: string;
  access?: AccessMode;
  timeoutS?: number;
  name?: string;
  dryRun: boolean;
}

/** `1`/`true`/`yes` or `0`/`false`/`no` (unset: false). */
function envFlag(env: Env, name: string): boolean {
  const v = envString(env, name)?.toLowerCase();
  if (v === undefined || ['0', 'false', 'no'].includes(v)) return false;
  if (['1', 'true', 'yes'].includes(v)) return true;
  throw new ConfigError('env', name, `expected 1 or 0, got "${v}"`);
}

/** A name fit for a Deployment and a Service (DNS-1035 label, at most 63 characters). */
function stackName(env: Env): string | undefined {
  const name = envString(env, 'BENCH_PROVISION_NAME');
  if (name !== undefined && !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new ConfigError('env', 'BENCH_PROVISION_NAME', `"${name}" is not a valid Service name (lowercase letters, digits and "-", starting with a letter, at most 63 characters)`);
  }
  return name;
}

/**
 * Reads the provisioning variables. `template` overrides `BENCH_PROVISION` (the CLI's argument);
 * without either, returns null: nothing to provision.
 */
export function readProvisionSettings(env: Env, template?: string): ProvisionSettings | null {
  const file = template ?? envString(env, 'BENCH_PROVISION');
  if (file === undefined) return null;
  const other = template === undefined ? ['BENCH_BASE_URL', 'BENCH_TARGET'].find((v) => envString(env, v) !== undefined) : undefined;
  if (other) throw new ConfigError('env', 'BENCH_PROVISION', `cannot be combined with ${other}: the target is the provisioned stack (BENCH_PROVISION_URL gives a URL in front of it)`);
  const url = envString(env, 'BENCH_PROVISION_URL');
  if (url !== undefined) validateConfig(z.strictObject({ BENCH_PROVISION_URL: BaseUrlSchema }), { BENCH_PROVISION_URL: url }, { source: 'env' });
  const access = envEnum(env, 'BENCH_PROVISION_ACCESS', ACCESS_MODES);
  if (access === 'url' && url === undefined) throw new ConfigError('env', 'BENCH_PROVISION_ACCESS', 'is "url" but BENCH_PROVISION_URL is not set');
  const settings: ProvisionSettings = { template: file, dryRun: envFlag(env, 'BENCH_PROVISION_DRY_RUN') };
  if (url !== undefined) settings.url = url;
  if (access !== undefined) settings.access = access;
  const timeoutS = envTimerSeconds(env, 'BENCH_PROVISION_TIMEOUT_S');
  if (timeoutS !== undefined) settings.timeoutS = timeoutS;
  const name = stackName(env);
  if (name !== undefined) settings.name = name;
  return settings;
}
