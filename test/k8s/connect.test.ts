import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterError } from '../../lib/k8s/errors.ts';
import { checkPermissions, connectCluster } from '../../lib/k8s/connect.ts';
import { ClusterClock } from '../../sim/cluster/clock.ts';
import { createStore, startApiServer, writeKubeconfig, type ApiServer } from '../../sim/cluster/api/index.ts';
import { closedPort } from '../http/drive.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmd-connect-'));
const kubeconfig = join(dir, 'kubeconfig');
const TOKEN = 'sim-secret-token-0123456789';
let api: ApiServer;
let store: ReturnType<typeof createStore>;

beforeAll(async () => {
  const clock = new ClusterClock(1);
  store = createStore(clock, { namespaces: ['default', 'bench'] });
  api = await startApiServer({
    store,
    clock,
    // Deny creating ReplicaSets and updating their scale in namespace "bench" only.
    authorize: (verb, resource, namespace) => (namespace === 'bench' && ((verb === 'create' && resource === 'replicasets') || resource === 'replicasets/scale') ? '' : undefined),
  });
  await writeKubeconfig(kubeconfig, { url: api.url, namespace: 'bench', token: TOKEN });
});

afterAll(async () => {
  await api.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('connectCluster', () => {
  it('connects, reads the namespace from the context and the server version', async () => {
    const c = await connectCluster({ kubeconfig });
    expect(c.namespace).toBe('bench');
    expect(c.server).toBe(api.url);
    expect(c.serverVersion).toMatch(/^v1\./);
    expect(c.kind).toBe('cluster');
  });

  it('fails in one line when the API server does not answer, without the token', async () => {
    const deadConfig = join(dir, 'dead');
    await writeKubeconfig(deadConfig, { url: `http://127.0.0.1:${await closedPort()}`, namespace: 'bench', token: TOKEN });
    const err = await connectCluster({ kubeconfig: deadConfig }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as Error).message).toMatch(/^cluster http:\/\/127\.0\.0\.1:\d+ \(file\): connection refused/);
    expect((err as Error).message).not.toContain(TOKEN);
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });

  it('names a missing namespace and a missing context', async () => {
    await expect(connectCluster({ kubeconfig, namespace: 'nope' })).rejects.toThrow(/namespace "nope" not found on http:\/\/127\.0\.0\.1:\d+/);
    await expect(connectCluster({ kubeconfig, context: 'other' })).rejects.toThrow(/no context "other"/);
    await expect(connectCluster({ kubeconfig: join(dir, 'absent') })).rejects.toThrow(/kubeconfig .*absent: file not found/);
  });
});

describe('checkPermissions (SelfSubjectAccessReview)', () => {
  it('lists every denied permission in one error', async () => {
    const c = await connectCluster({ kubeconfig });
    const err = await checkPermissions(c, [
      { verb: 'create', resource: 'replicasets', group: 'apps' },
      { verb: 'update', resource: 'replicasets', group: 'apps', subresource: 'scale' },
      { verb: 'watch', resource: 'pods' },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as Error).message).toMatch(/may not create replicasets \(apps\), update replicasets\/scale \(apps\) in namespace bench/);
    expect((err as Error).message).not.toMatch(/watch pods/);
  });

  it('passes where the same permissions are allowed', async () => {
    const c = await connectCluster({ kubeconfig, namespace: 'default' });
    await expect(checkPermissions(c, [{ verb: 'create', resource: 'replicasets', group: 'apps' }])).resolves.toBeUndefined();
  });
});
