import { TargetError } from '../errors/target-error.ts';
import { errorMessageOf, showText, tryJson } from './server-text.ts';
import type { HttpTarget } from './target.ts';

/** What the preflight learned about a target. */
export interface PreflightResult {
  /** Models the server lists at `/v1/models` (empty if it has no such route). */
  models: string[];
  /** The model to benchmark: the configured one, else the first listed. */
  model: string;
}

/**
 * Checks a target is usable before anything is measured: `GET <api root>/models` answers, the
 * key is accepted, and the model is served. Fails within `timeoutMs` with one line naming the URL
 * and the reason, so a dead endpoint fails the suite in seconds rather than after a timeout per
 * request.
 */
export async function preflight(http: HttpTarget, model: string | null, keyEnv: string | null, timeoutMs = 10_000): Promise<PreflightResult> {
  const path = `${http.apiRoot}/models`;
  const res = await http.get(path, timeoutMs);
  const url = `${http.origin}${path}`;
  if (res.status === 401 || res.status === 403) {
    const hint = keyEnv ? `check the key in ${keyEnv}` : 'the server wants an API key: set api_key_env';
    throw new TargetError('TARGET_UNAUTHORIZED', url, `HTTP ${res.status} (${hint})`);
  }
  if (res.status === 404 && model) return { models: [], model };
  if (res.status >= 400) throw new TargetError('TARGET_ERROR', url, `HTTP ${res.status}: ${http.scrub(errorMessageOf(tryJson(res.body)) ?? res.body, 200)}`);
  let models: string[];
  try {
    const body = JSON.parse(res.body) as { data?: Array<{ id?: unknown }> };
    models = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  } catch {
    throw new TargetError('TARGET_ERROR', url, `answered with something that is not a model list: ${http.scrub(res.body, 120)}`);
  }
  if (model) {
    if (models.length > 0 && !models.includes(model)) {
      throw new TargetError('TARGET_MODEL_MISSING', url, `model "${showText(model)}" is not served (served: ${models.slice(0, 10).map(showText).join(', ')})`);
    }
    return { models, model };
  }
  const first = models[0];
  if (!first) throw new TargetError('TARGET_MODEL_MISSING', url, 'serves no model and none is configured (set model or BENCH_MODEL)');
  return { models, model: first };
}
