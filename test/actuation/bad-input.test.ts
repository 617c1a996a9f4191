/*
 * Bad input to the actuation capability: one clear error each, before anything is created (or,
 * where a denial can only show on a later call, with everything created deleted again). The
 * cluster here is the simulator's API server alone, composed with an authorization rule (the
 * composed simulator has no option for one), talked to through the real Kubernetes client.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runActuationScenario } from '../../lib/actuation/run.ts';
import { ActuationSession } from '../../lib/actuation/session.ts';
import { ConfigError } from '../../lib/errors/index.ts';
import { connectCluster, type ClusterConnection } from '../../lib/k8s/connect.ts';
import { ClusterError } from '../../lib/k8s/errors.ts';
import { ClusterClock } from '../../sim/cluster/clock.ts';
import { createStore, startApiServer, writeKubeconfig, type ApiServer, type Authorizer, type ClusterStore } from '../../sim/cluster/api/index.ts';
import { openCluster } from '../../fixtures/cluster.ts';
import { scenarioFile, scratch, templateText, testRunId, TEMPLATES } from './helpers.ts';
import { closedPort } from '../http/drive.ts';

const NS = 'bench';
const DIRECT = join(TEMPLATES, 'server-request.yaml');
const LAUNCHER = join(TEMPLATES, 'launcher-request.yaml');

/** A port nothing listens on. */

/** Every object in the namespace, as `resource/name` (what a run may have created). */
function objectsIn(store: ClusterStore): string[] {
  const out: string[] = [];
  for (const resource of ['replicasets', 'deployments', 'pods', 'services', 'configmaps', 'inferenceserverconfigs', 'launcherconfigs', 'launcherpopulationpolicies'] as const) {
    for (const o of store.list(resource, NS).items) out.push(`${resource}/${o.metadata.name}`);
  }
  return out;
}

describe('bad input to actuation runs', () => {
  const clock = new ClusterClock(0.01);
  let store: ClusterStore;
  let api: ApiServer;
  let kubeconfig: string;
  let conn: ClusterConnection;
  /** The authorization rule of the next requests (none: everything allowed). */
  let rule: Authorizer | undefined;

  beforeAll(async () => {
    store = createStore(clock);
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    api = await startApiServer({ store, clock, authorize: (...args) => rule?.(...args) });
    kubeconfig = join(scratch(), 'kubeconfig');
    await writeKubeconfig(kubeconfig, { url: api.url, namespace: NS, token: 'sk-bad-input-DO-NOT-LEAK' });
    conn = await connectCluster({ kubeconfig, simulator: { clock: clock.describe() } });
  });
  afterEach(() => {
    rule = undefined;
  });
  afterAll(async () => {
    await api?.close();
    store?.close();
    clock.stopAll();
  });

  test('no cluster reachable: one ClusterError line naming the server, within a second, no token in it', async () => {
    const port = await closedPort();
    const dir = scratch();
    const file = join(dir, 'kubeconfig');
    await writeKubeconfig(file, { url: `http://127.0.0.1:${port}`, namespace: NS, token: 'sk-closed-port-DO-NOT-LEAK' });
    const started = performance.now();
    const err = await connectCluster({ kubeconfig: file }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err).toBeInstanceOf(ClusterError);
    const e = err as ClusterError;
    expect(e.code).toBe('CLUSTER_UNREACHABLE');
    expect(e.message).toBe(`cluster http://127.0.0.1:${port} (file): connection refused: is the API server running and is the kubeconfig pointing at it?`);
    expect(e.message).not.toContain('DO-NOT-LEAK');
    expect(String(e.stack)).not.toContain('DO-NOT-LEAK');
  });

  test('a namespace that does not exist is named, before anything is created', async () => {
    const err = await connectCluster({ kubeconfig, namespace: 'no-such-ns' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as ClusterError).code).toBe('CLUSTER_NAMESPACE');
    expect((err as ClusterError).message).toBe(`namespace "no-such-ns" not found on ${api.url} (set BENCH_NAMESPACE or the context's namespace)`);
    expect((err as Error).message).not.toContain('\n');
  });

  test('RBAC denies creating replicasets: the permission check names the verb and resource before anything is created', async () => {
    rule = (verb, resource) => (verb === 'create' && resource === 'replicasets' ? '' : undefined);
    const runId = testRunId('rbac');
    const before = store.resourceVersion();
    const err = await ActuationSession.open(conn, { template: DIRECT, runId, waitTimeoutS: 60, vars: { REPLICASET_NAME: `rbac-${runId}` } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    const e = err as ClusterError;
    expect(e.code).toBe('CLUSTER_RBAC');
    expect(e.message).toBe(`RBAC: the kubeconfig user may not create replicasets (apps) in namespace ${NS} on ${api.url} (the README lists the verbs the suites need)`);
    expect(e.message).not.toContain('DO-NOT-LEAK');
    // Not one write reached the store (its resourceVersion counts every write).
    expect(store.resourceVersion()).toBe(before);
    expect(objectsIn(store)).toEqual([]);
  });

  test('the launcher template is checked for its own kinds: a denied InferenceServerConfig create fails before the LauncherConfig is created', async () => {
    rule = (verb, resource) => (verb === 'create' && resource === 'inferenceserverconfigs' ? '' : undefined);
    const runId = testRunId('rbacl');
    const before = store.resourceVersion();
    const err = await ActuationSession.open(conn, { template: LAUNCHER, runId, waitTimeoutS: 60, vars: { REPLICASET_NAME: `rbacl-${runId}` } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as ClusterError).code).toBe('CLUSTER_RBAC');
    expect((err as Error).message).toBe(`RBAC: the kubeconfig user may not create inferenceserverconfigs (fma.llm-d.ai) in namespace ${NS} on ${api.url} (the README lists the verbs the suites need)`);
    expect(store.resourceVersion()).toBe(before);
  });

  test('a Deployment template is checked for deployments/scale, not replicasets/scale', async () => {
    rule = (verb, resource) => (verb === 'update' && resource === 'deployments/scale' ? '' : undefined);
    const dir = scratch();
    const deployment = join(dir, 'deployment.yaml');
    writeFileSync(deployment, templateText('server-request.yaml').replace('kind: ReplicaSet', 'kind: Deployment'));
    const before = store.resourceVersion();
    const err = await ActuationSession.open(conn, { template: deployment, runId: testRunId('dep'), waitTimeoutS: 60, vars: { REPLICASET_NAME: 'dep' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as Error).message).toMatch(/^RBAC: the kubeconfig user may not update deployments\/scale \(apps\) in namespace bench /);
    expect(store.resourceVersion()).toBe(before);
  });

  test('a denial the permission check cannot foresee (scaling refused after the review allowed it): one clear error, the created ReplicaSet deleted again', async () => {
    // The review allows the scale, the request is refused (as when a Role changes mid-run, or an admission webhook says no).
    rule = (verb, resource, _ns, attrs) => (verb === 'update' && resource === 'replicasets/scale' && attrs.name !== undefined ? 'scaling frozen' : undefined);
    const file = scenarioFile(scratch(), `defaults: { template: ${DIRECT}, first_token: { enabled: false } }\nscenarios: { baseline: { type: baseline } }\n`);
    const runId = testRunId('scale');
    const created: string[] = [];
    const unsubscribe = store.watch('replicasets', NS, { resourceVersion: store.resourceVersion() }, (ev) => {
      if (ev.type === 'ADDED') created.push(ev.object.metadata.name ?? '');
    });
    const cleanups: string[][] = [];
    let err: unknown;
    try {
      err = await runActuationScenario({ conn, suite: 'test', name: 'baseline', scenario: file.config.scenarios.baseline!, file, runId, onCleanup: (l) => cleanups.push(l) }).catch((e: unknown) => e);
    } finally {
      unsubscribe();
    }
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as ClusterError).code).toBe('CLUSTER_SCALE');
    expect((err as Error).message).toMatch(
      /^scaling ReplicaSet baseline-1-\S+ to 2 in namespace bench on \S+: HTTP 403: replicasets.apps "baseline-1-\S+" is forbidden: User "\S+" cannot update resource "replicasets\/scale" in API group "apps" in the namespace "bench": scaling frozen \(RBAC: /,
    );
    expect((err as Error).message).not.toContain('\n');
    expect(created).toHaveLength(1);
    expect(cleanups).toEqual([[]]);
    expect(objectsIn(store)).toEqual([]);
  });

  test('a template with a kind the tool cannot create fails before anything is created', async () => {
    const dir = scratch();
    const withSecret = join(dir, 'with-secret.yaml');
    writeFileSync(withSecret, `apiVersion: v1\nkind: Secret\nmetadata: { name: hf-token }\nstringData: { token: x }\n---\n${templateText('server-request.yaml')}`);
    const before = store.resourceVersion();
    const err = await ActuationSession.open(conn, { template: withSecret, runId: testRunId('kind'), waitTimeoutS: 60, vars: { REPLICASET_NAME: 'kind' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`${withSecret}: document 1 (Secret): kind Secret is not supported in templates (supported: Deployment, ReplicaSet, Service, ConfigMap, InferenceServerConfig, LauncherConfig, LauncherPopulationPolicy, Pod)`);
    expect(store.resourceVersion()).toBe(before);
  });

  test('a template that does not parse: ConfigError naming the file and line, nothing created', async () => {
    const dir = scratch();
    const bad = join(dir, 'broken.yaml');
    writeFileSync(bad, 'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: x: y\nspec: {}\n');
    const before = store.resourceVersion();
    const err = await ActuationSession.open(conn, { template: bad, runId: testRunId('yaml'), waitTimeoutS: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`${bad}:4:9: invalid YAML: Nested mappings are not allowed in compact mappings`);
    expect(store.resourceVersion()).toBe(before);
  });

  test('a template without a requester annotation: ConfigError naming the file, nothing created', async () => {
    const dir = scratch();
    const plain = join(dir, 'plain.yaml');
    writeFileSync(plain, templateText('server-request.yaml').replace(/ {8}dual-pods\.llm-d\.ai\/server-patch: \|\n(?: {10}.*\n)+/, ''));
    const before = store.resourceVersion();
    const err = await ActuationSession.open(conn, { template: plain, runId: testRunId('plain'), waitTimeoutS: 60, vars: { REPLICASET_NAME: 'plain' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      `${plain}: no ReplicaSet or Deployment whose pod template carries a requester annotation (dual-pods.llm-d.ai/server-patch or dual-pods.llm-d.ai/inference-server-config, or the older dual-pod.llm-d.ai/ prefix)`,
    );
    expect(store.resourceVersion()).toBe(before);
  });

  test('BENCH_CLUSTER=bogus: ConfigError naming the variable, no cluster started or contacted', async () => {
    const started = performance.now();
    const err = await openCluster({ BENCH_CLUSTER: 'bogus' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('env: BENCH_CLUSTER: expected "simulator" or "kubeconfig", got "bogus"');
    expect(performance.now() - started).toBeLessThan(500);
  });
});
