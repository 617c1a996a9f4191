import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/index.ts';
import { connectCluster, type ClusterConnection } from '../../lib/k8s/connect.ts';
import { ClusterError } from '../../lib/k8s/errors.ts';
import { provisionStack } from '../../lib/k8s/provision.ts';
import { ClusterClock } from '../../sim/cluster/clock.ts';
import { createStore, startApiServer, writeKubeconfig, type ApiServer } from '../../sim/cluster/api/index.ts';
import { ROOT, TEMPLATE, writeTemplate } from './helpers.ts';

/*
 * Failures before anything is created, against the simulator's API server alone (no kubelet:
 * nothing here gets as far as a rollout): RBAC denials, a bad template, a name taken by an object
 * this run did not create.
 */
const dir = mkdtempSync(join(tmpdir(), 'llmd-provision-bad-'));
let api: ApiServer;
let store: ReturnType<typeof createStore>;
let bench: ClusterConnection;
let locked: ClusterConnection;

beforeAll(async () => {
  const clock = new ClusterClock(1);
  store = createStore(clock, { namespaces: ['default', 'bench', 'locked'] });
  // In "locked": no creating Deployments and no port-forward.
  api = await startApiServer({ store, clock, authorize: (verb, resource, ns) => (ns === 'locked' && ((verb === 'create' && resource === 'deployments') || resource === 'pods/portforward') ? '' : undefined) });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { url: api.url, namespace: 'bench', token: 'bad-input-secret-token-42' });
  bench = await connectCluster({ kubeconfig });
  locked = await connectCluster({ kubeconfig, namespace: 'locked' });
});

afterAll(async () => {
  await api.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (ns: string): number => store.list('deployments', ns).items.length + store.list('services', ns).items.length;

describe('provisioning refuses before creating anything', () => {
  it('RBAC: one line listing every denied permission, nothing created, no token in it', async () => {
    const err = (await provisionStack(locked, { template: TEMPLATE, cwd: ROOT, env: {}, runId: 'rbac-1234', access: 'port-forward' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.message).toBe(`RBAC: the kubeconfig user may not create deployments (apps), create pods/portforward in namespace locked on ${api.url} (the README lists the verbs the suites need)`);
    expect(err.message).not.toContain('bad-input-secret-token-42');
    expect(count('locked')).toBe(0);
  });

  it('a template that does not render fails with its ConfigError and creates nothing', async () => {
    const bad = writeTemplate('apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { ports: [{ port: 80 }] }\n');
    const err = await provisionStack(bench, { template: bad, env: {}, runId: 'tpl-1234' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`${bad}: expected exactly one Deployment (the vLLM server), found 0`);
    expect(count('bench')).toBe(0);
  });

  it('a Deployment of that name that is not this run\'s is refused and left as it was', async () => {
    store.create('deployments', 'bench', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'taken', labels: { owner: 'someone-else' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'theirs' } }, template: { metadata: { labels: { app: 'theirs' } }, spec: { containers: [{ name: 'c', image: 'theirs' }] } } },
    });
    const lines: string[] = [];
    const err = (await provisionStack(bench, { template: TEMPLATE, cwd: ROOT, env: {}, runId: 'taken-1234', name: 'taken', access: 'cluster-ip', log: (l) => lines.push(l) }).catch((e: unknown) => e)) as ClusterError;
    expect(err.code).toBe('PROVISION_EXISTS');
    const [first, cleanup] = err.message.split('\n');
    expect(first).toBe(`Deployment taken already exists in namespace bench on ${api.url} and was not created by this run: set BENCH_PROVISION_NAME to another name`);
    expect(cleanup).toBe('cleanup: deleted nothing (vitest-llm-d/run=taken-1234); nothing left');
    expect(lines).toEqual([cleanup]);
    const theirs = store.get('deployments', 'bench', 'taken');
    expect(theirs?.metadata.labels).toEqual({ owner: 'someone-else' });
    expect(theirs?.metadata.deletionTimestamp).toBeUndefined();
  });
});
