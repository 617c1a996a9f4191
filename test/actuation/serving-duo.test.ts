import { describe } from 'vitest';
import { expect, test } from 'vitest-llm-d';

// The fixtures as a suite uses them, on the embedded cluster simulator whatever kubeconfig the machine has.
process.env.BENCH_CLUSTER = 'simulator';
process.env.BENCH_CLUSTER_TIME_SCALE = '0.01';

describe('servingDuo fixture', () => {
  test('gives a Ready duo with its timings and a provider that serves, then deletes it', async ({ servingDuo, cluster }) => {
    expect(servingDuo.record.ready).toBe(true);
    expect(servingDuo.record.path).toBe('cold');
    expect(servingDuo.record.timings.actuation?.source).toBe('kube');
    expect(servingDuo.record.timings.actuation?.seconds).toBeGreaterThan(30); // the modeled 60 s model load dominates
    expect(servingDuo.url).toMatch(/^http:\/\/127\.1\.\d+\.\d+:8000$/);
    const models = await fetch(`${servingDuo.url}/v1/models`).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>);
    expect(models.data[0]?.id).toBe('Qwen/Qwen3-0.6B');
    expect(servingDuo.record.timings.firstTokenAfterReady?.seconds).toBeGreaterThan(0);
    // After the duo is closed nothing of its run is left (the fixture's own teardown closes it again, harmlessly).
    expect(await servingDuo.close()).toEqual([]);
    const pods = await cluster.core.listNamespacedPod({ namespace: cluster.namespace, labelSelector: 'vitest-llm-d/run' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual([]);
  });
});
