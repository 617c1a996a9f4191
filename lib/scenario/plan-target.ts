/**
 * The endpoint of a plan: the target a run would open, resolved as the run resolves it
 * (`chooseConfigTarget` for a config, `resolveTarget` for a scenario file) but not opened, so
 * nothing is connected to. Only where a key comes from is shown, never the key, and only the
 * names of headers, whose values may be credentials.
 */
import type { ConfigOverride } from '../config/env.ts';
import { resolveTarget } from '../config/resolve-target.ts';
import type { TargetSelection } from '../config/resolve-target.ts';
import type { Env } from '../config/substitute.ts';
import { chooseConfigTarget } from '../config/well-lit/choose-target.ts';
import type { WellLitConfig } from '../config/well-lit/load-config.ts';
import type { TokenizerOption } from '../data/index.ts';
import { settings } from '../settings/registry.ts';

/** Where the requests go. */
export interface EndpointPlan {
  /** `endpoint`: a URL; `simulator`: the embedded simulator the run starts; `provisioned`: a stack the run stands up first. */
  kind: 'endpoint' | 'simulator' | 'provisioned';
  /** Where the target came from, e.g. `config.yaml (endpoint.base_url) + BENCH_BASE_URL`. */
  origin: string;
  /** The URL requests go to; null when the run makes it (simulator, provisioned stack). */
  url: string | null;
  /** The model requested; null: the server's first model, asked at run time. */
  model: string | null;
  backend: string | null;
  /** Where the bearer key comes from (`workload.x.server.api_key in config.yaml`, `env OPENAI_API_KEY`), or null for none. */
  apiKey: string | null;
  /** Names of the headers sent with every request. */
  headers: string[];
  /** `ignore_eos` is sent (outputs exactly max_tokens long); null: as the target's backend decides. */
  ignoreEos: boolean | null;
  /** What the environment replaced. */
  overrides: ConfigOverride[];
  /** The target's tokenizer option (prompts are built with it). */
  tokenizer: TokenizerOption;
  /** The API of scenarios that name none. */
  defaultApi: 'completions' | 'chat';
}

/** The endpoint a well-lit-path or inference-perf config runs against (`BENCH_CONFIG=<file>`); throws `ConfigError`. */
export function configEndpoint(config: WellLitConfig, env: Env, cwd: string): EndpointPlan {
  const choice = chooseConfigTarget(config, env, false);
  if (choice.kind === 'config') return fromSelection(choice.selection, choice.apiKeySource);
  const s = settings(env);
  const provision = s.get('BENCH_PROVISION');
  if (provision !== undefined) {
    return {
      kind: 'provisioned', origin: `stack provisioned from ${provision} (BENCH_PROVISION)`, url: null, model: s.get('BENCH_MODEL') ?? null,
      backend: null, apiKey: null, headers: [], ignoreEos: null, overrides: choice.overrides, tokenizer: 'auto', defaultApi: 'completions',
    };
  }
  const plan = scenarioEndpoint(env, cwd);
  return { ...plan, overrides: [...choice.overrides, ...plan.overrides] };
}

/** The endpoint of a suite's scenario file: `targets.yaml` and the environment, as the suites resolve it; throws `ConfigError`. */
export function scenarioEndpoint(env: Env, cwd: string): EndpointPlan {
  return fromSelection(resolveTarget({ cwd, env }));
}

function fromSelection(sel: TargetSelection, apiKeySource?: string): EndpointPlan {
  const t = sel.target;
  const common = {
    origin: sel.origin,
    model: t.model ?? null,
    headers: Object.keys(t.headers ?? {}),
    ignoreEos: t.capabilities?.ignore_eos ?? null,
    overrides: sel.overrides,
    tokenizer: t.tokenizer,
    defaultApi: t.api,
  };
  if (sel.kind === 'simulator') return { kind: 'simulator', url: sel.url ?? null, backend: 'vllm', apiKey: null, ...common };
  const key = sel.apiKey === undefined ? null : (apiKeySource ?? `env ${t.api_key_env}`);
  return { kind: 'endpoint', url: sel.target.base_url, backend: t.backend, apiKey: key, ...common };
}
