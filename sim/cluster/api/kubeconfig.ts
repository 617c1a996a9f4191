import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/**
 * A kubeconfig for the simulated API server, so clients load it exactly as they load a real
 * cluster's (`KubeConfig.loadFromFile`, `KUBECONFIG=...`). The cluster entry sets
 * `insecure-skip-tls-verify: true`: `@kubernetes/client-node` refuses a plain `http://` server
 * otherwise.
 */

/** What the kubeconfig points at. */
export interface KubeconfigOptions {
  /** API server URL (`http://127.0.0.1:<port>`). */
  url: string;
  /** Default namespace of the context. */
  namespace: string;
  /** User entry name (default `vitest-llm-d`). */
  user?: string;
  /** Bearer token (default `vitest-llm-d-sim-token`); the simulator accepts any. */
  token?: string;
  /** Cluster and context name (default `vitest-llm-d-sim`). */
  name?: string;
}

/** The kubeconfig YAML text. */
export function kubeconfigYaml(opts: KubeconfigOptions): string {
  if (!/^https?:\/\//.test(opts.url)) throw new Error(`kubeconfig: url must start with http:// or https://, got ${JSON.stringify(opts.url)}`);
  if (!opts.namespace) throw new Error('kubeconfig: namespace must not be empty');
  const name = opts.name ?? 'vitest-llm-d-sim';
  const user = opts.user ?? 'vitest-llm-d';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name, cluster: { server: opts.url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: user, user: { token: opts.token ?? 'vitest-llm-d-sim-token' } }],
    contexts: [{ name, context: { cluster: name, user, namespace: opts.namespace } }],
    'current-context': name,
  });
}

/** Writes the kubeconfig to `path` (creating its folder), readable by the owner only as kubeconfigs should be. */
export async function writeKubeconfig(path: string, opts: KubeconfigOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, kubeconfigYaml(opts), { mode: 0o600 });
}
