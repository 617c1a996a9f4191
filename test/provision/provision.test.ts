import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterError } from '../../lib/k8s/errors.ts';
import { provisionStack } from '../../lib/k8s/provision.ts';
import { labelled, openSimCluster, ROOT, streamCompletion, TEMPLATE, testRunId, type SimCluster } from './helpers.ts';

const MODEL = 'Qwen/Qwen3-0.6B';
let cluster: SimCluster;

beforeAll(async () => {
  cluster = await openSimCluster();
});

afterAll(async () => {
  await cluster?.close();
});

/** Provisions the checked-in template with a clean environment (template defaults), collecting log lines. */
function provision(runId: string, extra: Partial<Parameters<typeof provisionStack>[1]> = {}, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const promise = provisionStack(cluster.conn, { template: TEMPLATE, cwd: ROOT, env, runId, log: (l) => lines.push(l), ...extra });
  return { lines, promise };
}

describe('provisionStack on the cluster simulator', () => {
  it('rolls out the Deployment, serves a streamed completion through the ClusterIP, and teardown leaves nothing', async () => {
    const runId = testRunId();
    const { lines, promise } = provision(runId);
    const p = await promise;
    expect(p.info).toMatchObject({ access: 'cluster-ip', cluster: 'simulator', namespace: cluster.sim.namespace, runId, template: TEMPLATE, warnings: [] });
    expect(p.access.baseUrl).toMatch(/^http:\/\/127\.2\.\d+\.\d+:8000$/);
    // Waited for the model load (vllmLoadMs 60 cluster s, jittered), not just for the objects.
    expect(p.rollout.clusterSeconds).toBeGreaterThan(30);
    const d = await cluster.conn.apps.readNamespacedDeployment({ namespace: cluster.conn.namespace, name: p.info.deployment });
    expect(d.status?.availableReplicas).toBe(1);
    const during = await labelled(cluster.conn, runId);
    expect(during).toEqual(expect.arrayContaining([`Deployment/${p.info.deployment}`, `Service/${p.info.service}`, expect.stringMatching(/^ReplicaSet\//), expect.stringMatching(/^Pod\//)]));

    const r = await streamCompletion(p.access.baseUrl, MODEL);
    expect(r).toMatchObject({ status: 200, done: true, chunks: 8 });
    expect(r.ttftMs).toBeGreaterThan(0);

    const result = await p.teardown();
    expect(result.leftovers).toEqual([]);
    expect(await labelled(cluster.conn, runId)).toEqual([]);
    expect(lines.at(-1)).toMatch(new RegExp(`^cleanup: deleted Deployment/${p.info.deployment}.*\\(vitest-llm-d/run=${runId}\\); nothing left$`));
    // The ClusterIP stops answering once its endpoints are gone.
    await expect(streamCompletion(p.access.baseUrl, MODEL, { fresh: true })).rejects.toThrow(/ECONNREFUSED|other side closed|socket/i);
  });

  it('reaches the stack by port-forward through the client library, warns about it, and closes the forward on teardown', async () => {
    const runId = testRunId();
    const { promise } = provision(runId, { access: 'port-forward' });
    const p = await promise;
    expect(p.info.access).toBe('port-forward');
    expect(p.info.accessDetail).toMatch(new RegExp(`^pod ${p.info.deployment}-[a-z0-9]+-[a-z0-9]{5}:8000 via the API server`));
    expect(p.info.warnings.join()).toContain('port-forward');
    expect(p.info.warnings.join()).toContain('adds latency noise');
    expect(p.access.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 3; i++) {
      const r = await streamCompletion(p.access.baseUrl, MODEL, { fresh: i === 0 });
      expect(r).toMatchObject({ status: 200, done: true, chunks: 8 });
    }
    expect(p.access.errors()).toEqual([]);
    await p.teardown();
    expect(await labelled(cluster.conn, runId)).toEqual([]);
    await expect(streamCompletion(p.access.baseUrl, MODEL, { fresh: true })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('keeps waiting for the rollout across a dropped watch', async () => {
    const runId = testRunId();
    const { promise } = provision(runId);
    // Cut every watch stream once the Deployment exists and its rollout is under way.
    for (let i = 0; i < 200 && (await labelled(cluster.conn, runId)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const cut = (await (await fetch(`${cluster.sim.url}/sim/drop-watches`, { method: 'POST' })).json()) as { dropped: number };
    expect(cut.dropped).toBeGreaterThan(0);
    const p = await promise;
    expect(p.rollout.resumes).toBeGreaterThanOrEqual(1);
    expect((await streamCompletion(p.access.baseUrl, MODEL)).done).toBe(true);
    await p.teardown();
    expect(await labelled(cluster.conn, runId)).toEqual([]);
  });

  it('a Deployment that never becomes available times out with the diagnostic, then is deleted', async () => {
    const runId = testRunId();
    const started = performance.now();
    // 99 GPUs per pod: no node has them, so the pod is never scheduled.
    const { lines, promise } = provision(runId, { timeoutS: 30 }, { GPU_COUNT: '99' });
    const err = (await promise.catch((e: unknown) => e)) as ClusterError;
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.code).toBe('PROVISION_TIMEOUT');
    const msg = err.message.split('\n');
    expect(msg[0]).toMatch(new RegExp(`^Deployment vllm-standalone-[0-9a-f]{4} in namespace ${cluster.sim.namespace} on http://127\\.0\\.0\\.1:\\d+: not available after 30 s \\(cluster time\\)$`));
    expect(msg).toContainEqual(expect.stringMatching(/^Deployment vllm-standalone-[0-9a-f]{4}: 0 of 1 available, 0 ready/));
    expect(msg).toContainEqual(expect.stringMatching(/^ {2}pod vllm-standalone-\S+ \(not scheduled\): Pending; PodScheduled=False \(Unschedulable: 0\/2 nodes are available: 2 Insufficient nvidia\.com\/gpu/));
    expect(msg).toContainEqual(expect.stringMatching(/Warning FailedScheduling Pod\/vllm-standalone-/));
    expect(msg.at(-1)).toMatch(/^cleanup: deleted Deployment\/vllm-standalone-[0-9a-f]{4}, Service\/vllm-standalone-[0-9a-f]{4}.*; nothing left$/);
    expect(lines.at(-1)).toBe(msg.at(-1));
    expect(await labelled(cluster.conn, runId)).toEqual([]);
    // 30 cluster seconds are 0.6 s here; the rest is the diagnostic and the cleanup.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('a Secret named by HF_TOKEN_SECRET is referenced by name only: its value appears nowhere, and the Secret is left alone', async () => {
    const TOKEN = 'hf_provisionTestTokenValue0123456789';
    const ns = cluster.conn.namespace;
    await cluster.conn.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'hf-test-token' }, stringData: { HF_TOKEN: TOKEN } } });
    const runId = testRunId();
    // A token in the shell too: nothing may pick it up.
    const { lines, promise } = provision(runId, {}, { HF_TOKEN_SECRET: 'hf-test-token', HF_TOKEN: TOKEN });
    const p = await promise;
    const d = await cluster.conn.apps.readNamespacedDeployment({ namespace: ns, name: p.info.deployment });
    const env = d.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'HF_TOKEN')?.valueFrom?.secretKeyRef).toMatchObject({ name: 'hf-test-token', key: 'HF_TOKEN' });
    expect(JSON.stringify(d)).not.toContain(TOKEN);
    await p.teardown();
    const everything = JSON.stringify({ lines, info: p.info, stack: p.stack.objects });
    expect(everything).toContain('hf-test-token');
    expect(everything).not.toContain(TOKEN);
    // Not this run's: still there.
    expect((await cluster.conn.core.readNamespacedSecret({ namespace: ns, name: 'hf-test-token' })).metadata?.name).toBe('hf-test-token');
  });
});
