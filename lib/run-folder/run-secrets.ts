/**
 * The secrets of a run as the reporters' process (Vitest's main process) learns them: it never
 * receives them from the measuring workers, so it reads the same inputs they do (the environment,
 * the targets file, `BENCH_CONFIG`, the Prometheus settings) and registers what is secret in them. Whatever
 * cannot be read here (a broken targets file: the workers fail on it too) is skipped; the values
 * of secret-looking variables are registered in any case.
 */
import { resolveTarget, type TargetSelection } from '../config/resolve-target.ts';
import { addSecrets, headerSecrets, urlSecrets } from '../config/secrets.ts';
import { chooseConfigTarget, loadWellLitConfig } from '../config/well-lit/index.ts';
import { promSettings } from '../prom/settings.ts';
import { settings } from '../settings/registry.ts';

const done = new Set<string>();

/** Registers the secrets of the run configured by `env` in `cwd` (once per process and directory). */
export function registerRunSecrets(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): void {
  if (env === process.env && done.has(cwd)) return;
  if (env === process.env) done.add(cwd);
  try {
    // Registers the bearer token wherever it is read from (BENCH_PROMETHEUS_TOKEN_FILE, the service account).
    promSettings(env);
  } catch {
    // Misconfigured: the workers report it; there is no token to know.
  }
  try {
    addSelection(resolveTarget({ cwd, env }));
  } catch {
    // A targets file or variable the workers refuse: they say why.
  }
  // `suites/config` runs the config named by BENCH_CONFIG: its substituted secrets, and its endpoint's key and headers.
  const named = settings(env).get('BENCH_CONFIG');
  if (named === undefined) return;
  try {
    const config = loadWellLitConfig(named, { env, cwd });
    addSecrets(...config.secrets);
    const choice = chooseConfigTarget(config, env, false);
    if (choice.kind === 'config') addSelection(choice.selection);
  } catch {
    // A config the workers refuse: they say why.
  }
}

function addSelection(sel: TargetSelection): void {
  addSecrets(...sel.secrets, sel.apiKey, ...headerSecrets(sel.target.headers), ...urlSecrets(sel.target.base_url ?? ''));
}
