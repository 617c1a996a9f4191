import { capabilitiesFor } from '../apis/capabilities.ts';
import type { TargetSelection } from '../config/resolve-target.ts';
import { responseLimits } from '../config/schema/limits.ts';
import { addSecrets } from '../config/secrets.ts';
import { DEFAULT_TIMEOUTS, type TimeoutOverrides } from '../config/schema/timeouts.ts';
import { preflight } from '../http/preflight.ts';
import { HttpTarget, type SmallResponse, type TimeoutsMs } from '../http/target.ts';
import type { Env } from '../config/substitute.ts';
import { noSimulatorStarter, type OpenTarget, type StartSimulator } from './open-target.ts';

/** An open target and how to release it (stop the simulator it started, if any). */
export interface OpenedTarget extends OpenTarget {
  /** GETs a path from the server root (`/health`, `/metrics`, `/v1/models`) for smoke checks. */
  probe(path: string, timeoutMs?: number): Promise<SmallResponse>;
  close(): Promise<void>;
}

/** Timeouts in ms: scenario overrides over target overrides over the defaults. */
export function timeoutsMs(...layers: Array<TimeoutOverrides | undefined>): TimeoutsMs {
  const t = { ...DEFAULT_TIMEOUTS };
  for (const layer of layers) if (layer) Object.assign(t, Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)));
  return { connect: t.connect_s * 1000, firstToken: t.first_token_s * 1000, idle: t.idle_s * 1000, total: t.total_s * 1000 };
}

/** How to open a target besides its selection. */
export interface OpenTargetOptions {
  /** Where the key was written when it came from a file rather than `api_key_env` (named in a 401 message). */
  apiKeySource?: string;
  /** Starts the embedded simulator when that is the selection (and no shared one is named). */
  startSimulator?: StartSimulator;
  /** The run's environment, for the response size limits (default `process.env`). */
  env?: Env;
}

/**
 * Makes the selected target usable: starts the embedded simulator (with `startSimulator`) when
 * that is the selection, then runs the preflight (`/v1/models`), so a wrong URL, key or model
 * fails here in seconds with one line, before any measurement.
 */
export async function openTarget(sel: TargetSelection, options: OpenTargetOptions = {}): Promise<OpenedTarget> {
  const t = sel.target;
  // What the config knows is secret (values of secret-looking variables it used, the key) is a secret of the run.
  addSecrets(...sel.secrets, sel.apiKey);
  let baseUrl: string;
  let close = async (): Promise<void> => {};
  let simulator: Record<string, unknown> | null = null;
  if (sel.kind === 'simulator' && sel.url) {
    // One simulator shared by several processes (the pods of `vitest-llm-d launch`): not ours to stop.
    baseUrl = sel.url;
    simulator = { ...sel.simulator, shared_url: sel.url };
  } else if (sel.kind === 'simulator') {
    if (!options.startSimulator) throw noSimulatorStarter();
    const sim = await options.startSimulator({ ...(t.model ? { models: [t.model] } : {}), ...sel.simulator, host: '127.0.0.1', port: 0 });
    baseUrl = sim.url;
    close = () => sim.stop();
    const o = sim.options;
    simulator = {
      profile: o.profile,
      time_scale: o.time_scale,
      tokenizer: o.tokenizer,
      itl_ms: o.itl_ms,
      prefill_overhead_ms: o.prefill_overhead_ms,
      prefill_per_token_ms: o.prefill_per_token_ms,
      max_num_seqs: o.max_num_seqs,
      pid: sim.pid,
    };
  } else {
    baseUrl = sel.target.base_url;
  }
  try {
    const http = new HttpTarget({
      baseUrl,
      ...(sel.kind === 'endpoint' && sel.apiKey ? { apiKey: sel.apiKey } : {}),
      headers: t.headers ?? {},
      timeouts: timeoutsMs(t.timeouts),
      limits: responseLimits(options.env ?? process.env, t.limits),
      ...(sel.kind === 'endpoint' && sel.tls ? { tls: sel.tls } : {}),
    });
    const keyEnv = sel.kind === 'endpoint' ? (options.apiKeySource ?? t.api_key_env) : null;
    const pre = await preflight(http, t.model ?? null, keyEnv, Math.min(http.timeouts.connect + 5000, 15_000));
    const backend = sel.kind === 'simulator' ? 'vllm' : t.backend;
    const serverVersion = await versionOf(http);
    return {
      info: {
        name: sel.kind === 'simulator' ? sel.name : t.name,
        kind: sel.kind,
        origin: sel.origin,
        baseUrl: http.displayUrl,
        model: pre.model,
        servedModels: pre.models,
        backend,
        accelerator: sel.kind === 'simulator' ? 'none (simulated)' : (t.accelerator ?? null),
        serverVersion,
        notes: t.notes ?? null,
        simulator,
      },
      http,
      caps: capabilitiesFor(backend, t.capabilities),
      defaultApi: t.api,
      maxTokens: t.max_tokens ?? null,
      tokenizer: t.tokenizer,
      timeoutOverrides: t.timeouts,
      limitOverrides: t.limits,
      probe: (path, timeoutMs = 10_000) => http.get(path, timeoutMs),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The server's version from vLLM's `GET /version` (`{"version": "0.11.0"}`), for the run's
 * provenance; null when the server has no such endpoint (a gateway, OpenAI, Ollama) or does not
 * answer within 3 s. Never fails the run.
 */
async function versionOf(http: HttpTarget): Promise<string | null> {
  try {
    const res = await http.get('/version', 3000);
    if (res.status !== 200) return null;
    const v = (JSON.parse(res.body) as { version?: unknown; simulator?: unknown }).version;
    if (typeof v !== 'string' || v.length > 100) return null;
    return v;
  } catch {
    return null;
  }
}
