/**
 * Which target a config runs against. The environment keeps its usual precedence over the file:
 *
 * 1. `BENCH_PROVISION` or `BENCH_TARGET`: that stack or `targets.yaml` target replaces the
 *    file's endpoint (the suites' usual target resolution applies).
 * 2. The bundled example (no `BENCH_CONFIG`): the embedded simulator serving the example's
 *    model, unless `BENCH_BASE_URL` names an endpoint (then as in 1). Its in-cluster URL is not
 *    reachable from here; the report lists the replacement among its overrides.
 * 3. Otherwise the file's endpoint, with `BENCH_BASE_URL` replacing only its URL (say, a
 *    port-forward to the gateway; the file's model, key and headers still apply) and
 *    `BENCH_MODEL`, `BENCH_BACKEND` its model and server software. The API key comes only from
 *    `server.api_key` (write `${VAR}` to take it from the environment), never from
 *    `OPENAI_API_KEY`, so no key goes anywhere the file did not send it.
 */
import { ConfigError } from '../../errors/config-error.ts';
import type { ConfigOverride } from '../env.ts';
import { settings } from '../../settings/registry.ts';
import { validateConfig } from '../format-issues.ts';
import type { TargetSelection } from '../resolve-target.ts';
import { BaseUrlSchema, TargetSchema } from '../schema/target.ts';
import type { Env } from '../substitute.ts';
import { z } from 'zod';
import type { WellLitConfig } from './load-config.ts';

/** The choice: defer to the suites' usual target (with what replaced the file's endpoint), or a selection made from the file. */
export type ConfigTargetChoice =
  | { kind: 'usual'; overrides: ConfigOverride[] }
  | { kind: 'config'; selection: TargetSelection; apiKeySource?: string };

/** Chooses the target of `config` in environment `env`; `bundled` when BENCH_CONFIG is unset and the bundled example runs. */
export function chooseConfigTarget(config: WellLitConfig, env: Env, bundled: boolean): ConfigTargetChoice {
  const replaced = (value: string, source: string): ConfigTargetChoice => ({
    kind: 'usual',
    overrides: [{ path: 'endpoint', value, source: `${source} (instead of ${config.endpoint.baseUrl ?? 'the endpoint'} in ${config.source})` }],
  });
  const s = settings(env);
  const provision = s.get('BENCH_PROVISION');
  if (provision !== undefined) return replaced(`stack provisioned from ${provision}`, 'env BENCH_PROVISION');
  const targetName = s.get('BENCH_TARGET');
  if (targetName !== undefined) return replaced(`target ${targetName}`, 'env BENCH_TARGET');
  const baseUrl = s.get('BENCH_BASE_URL');
  if (bundled) {
    if (baseUrl !== undefined) return replaced(baseUrl, 'env BENCH_BASE_URL');
    return { kind: 'config', selection: simulatorSelection(config, env) };
  }
  return endpointSelection(config, env, baseUrl);
}

function simulatorSelection(config: WellLitConfig, env: Env): TargetSelection {
  const overrides: ConfigOverride[] = [
    {
      path: 'endpoint.base_url',
      value: 'embedded simulator',
      source: `BENCH_CONFIG unset: the bundled example ${config.source} runs on the embedded simulator (instead of ${config.endpoint.baseUrl ?? 'its endpoint'})`,
    },
  ];
  const envModel = settings(env).get('BENCH_MODEL');
  if (envModel !== undefined) overrides.push({ path: 'target.model', value: envModel, source: 'env BENCH_MODEL' });
  const model = envModel ?? config.endpoint.model;
  const target = TargetSchema.parse({ name: 'simulator', ...(model ? { model } : {}) });
  return { kind: 'simulator', name: 'simulator', simulator: {}, target, origin: `${config.source} (bundled example) on the embedded simulator`, secrets: [], overrides };
}

function endpointSelection(config: WellLitConfig, env: Env, envBaseUrl: string | undefined): ConfigTargetChoice {
  const ep = config.endpoint;
  const overrides: ConfigOverride[] = [];
  const sources: string[] = [];
  if (envBaseUrl !== undefined) {
    validateConfig(z.strictObject({ BENCH_BASE_URL: BaseUrlSchema }), { BENCH_BASE_URL: envBaseUrl }, { source: 'env' });
    overrides.push({ path: 'endpoint.base_url', value: envBaseUrl, source: `env BENCH_BASE_URL (instead of ${ep.baseUrl ?? 'none'} in ${config.source})` });
    sources.push('BENCH_BASE_URL');
  }
  const baseUrl = envBaseUrl ?? ep.baseUrl;
  if (baseUrl === undefined) {
    throw new ConfigError(config.source, 'endpoint.base_url', 'required: the file names no endpoint (endpoint.base_url or a workload server.base_url); or set BENCH_BASE_URL or BENCH_TARGET');
  }
  const s = settings(env);
  const model = s.get('BENCH_MODEL');
  if (model !== undefined) {
    overrides.push({ path: 'target.model', value: model, source: 'env BENCH_MODEL' });
    sources.push('BENCH_MODEL');
  }
  const backend = s.get('BENCH_BACKEND');
  if (backend !== undefined) {
    overrides.push({ path: 'target.backend', value: backend, source: 'env BENCH_BACKEND' });
    sources.push('BENCH_BACKEND');
  }
  const target = validateConfig(
    TargetSchema,
    {
      name: ep.name,
      base_url: baseUrl,
      ...((model ?? ep.model) ? { model: model ?? ep.model } : {}),
      backend: backend ?? ep.backend,
      capabilities: { ignore_eos: ep.ignoreEos },
      ...(ep.headers ? { headers: ep.headers } : {}),
    },
    { source: config.source, secrets: config.secrets },
  );
  const origin = `${config.source} (${ep.baseUrlPath ?? 'endpoint'})${sources.length > 0 ? ` + ${sources.join(', ')}` : ''}`;
  const selection: TargetSelection = { kind: 'endpoint', target: target as TargetSelection['target'] & { base_url: string }, origin, secrets: config.secrets, overrides };
  if (ep.apiKey === undefined) return { kind: 'config', selection };
  selection.apiKey = ep.apiKey;
  return { kind: 'config', selection, apiKeySource: `${ep.apiKeyPath} in ${config.source}` };
}
