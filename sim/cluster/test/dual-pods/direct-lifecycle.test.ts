import { afterEach, describe, expect, it } from 'vitest';
import { gpuMapConfigMap } from '../../behaviour/dual-pods/index.ts';
import { directPatch, isReady, logLines, requesterPod, startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function serve(harness: Harness, name: string, annotations: Record<string, string>): Promise<string> {
  harness.create('pods', requesterPod(name, annotations));
  await harness.waitFor(`${name} Ready`, () => isReady(harness.pod(name)));
  return harness.pod(name)!.metadata.labels?.[harness.keys.dual] ?? '';
}

async function release(harness: Harness, name: string): Promise<void> {
  harness.sim.store.delete('pods', harness.ns, name);
  await harness.waitFor(`${name} gone`, () => !harness.pod(name));
}

describe('direct path lifecycle rules (protocol 2.4, 9.3 D, E.3, H)', () => {
  it('sleeper limit: with limit 1 the oldest sleeper on the GPU is deleted before a new provider is made', async () => {
    h = await startHarness({ dpc: { sleeperLimit: 1 } });
    const harness = h;
    const p = harness.keys.serverPatch;
    const a = await serve(harness, 'req-a', { [p]: directPatch('model-a') });
    await release(harness, 'req-a');
    const b = await serve(harness, 'req-b', { [p]: directPatch('model-b') });
    expect(b).not.toBe(a); // another model: another nominal hash, no hit
    expect(harness.pod(a)).toBeDefined(); // one sleeper is within the limit
    await release(harness, 'req-b');
    const c = await serve(harness, 'req-c', { [p]: directPatch('model-c') });
    expect(harness.pod(a)).toBeUndefined();
    expect(harness.pod(b)?.metadata.labels?.[harness.keys.sleeping]).toBe('true');
    expect(harness.pod(c)?.metadata.labels?.[harness.keys.dual]).toBe('req-c');
    const deleted = logLines(harness.dpc.logText(), '"Deleted server-providing Pod with sleeping server, to respect sleeper-limit"');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toContain(`name="${a}"`);
    expect(deleted[0]).toContain('requesterName="req-c"');
    expect(deleted[0]).toContain('limit=1');
  });

  it('older convention: dual-pod.llm-d.ai/ keys and a provider named <requester>-server, rebound on a hit', async () => {
    h = await startHarness({ dpc: { legacyNaming: true } });
    const harness = h;
    expect(harness.keys.serverPatch).toBe('dual-pod.llm-d.ai/server-patch');
    const first = await serve(harness, 'req-old1', { [harness.keys.serverPatch]: directPatch() });
    expect(first).toBe('req-old1-server');
    const provider = harness.pod(first)!;
    expect(provider.metadata.annotations?.['dual-pod.llm-d.ai/requester']).toMatch(/ req-old1$/);
    expect(provider.metadata.labels?.['dual-pod.llm-d.ai/sleeping']).toBe('false');
    expect(Object.keys(provider.metadata.annotations ?? {}).some((key) => key.startsWith('dual-pods.llm-d.ai/'))).toBe(false);
    await release(harness, 'req-old1');
    // The legacy tool's heuristic sees a hit: the provider's name does not contain the new requester's.
    expect(await serve(harness, 'req-old2', { [harness.keys.serverPatch]: directPatch() })).toBe('req-old1-server');
  });

  it('with debugAcceleratorMemory, checks the GPU memory before a hot wake (protocol 2.2)', async () => {
    h = await startHarness({ dpc: { debugAcceleratorMemory: true, sleeperLimit: 1 } });
    const harness = h;
    const p = harness.keys.serverPatch;
    const provider = await serve(harness, 'req-m1', { [p]: directPatch() });
    await release(harness, 'req-m1');
    expect(await serve(harness, 'req-m2', { [p]: directPatch() })).toBe(provider);
    const log = harness.dpc.logText();
    const check = logLines(log, '"HTTP call done"', 'purpose="get_accel_memory_usage"', 'requesterName="req-m2"', 'statusCode=200');
    expect(check).toHaveLength(1);
    expect(log.indexOf(check[0]!)).toBeLessThan(log.indexOf(logLines(log, '"Woke inference server"', 'requesterName="req-m2"')[0]!));
  });

  it('a provider deleted by someone else takes its requester with it (9.3 H)', async () => {
    h = await startHarness();
    const harness = h;
    const provider = await serve(harness, 'req-h', { [harness.keys.serverPatch]: directPatch() });
    harness.sim.store.delete('pods', harness.ns, provider);
    await harness.waitFor('both Pods gone', () => !harness.pod('req-h') && !harness.pod(provider));
    expect(logLines(harness.dpc.logText(), '"Requested deletion of server-requesting Pod because of deletion of server-providing Pod"', 'requesterName="req-h"')).toHaveLength(1);
  });

  it('records an unusable patch in the status, and deletes the requester once its node is cordoned (9.3 D)', async () => {
    h = await startHarness();
    const harness = h;
    const k = harness.keys;
    harness.create('pods', requesterPod('req-d', { [k.serverPatch]: 'spec:\n  containers:\n  - name: inference-server\n    imagee: typo\n' }));
    const status = await harness.waitFor('a status error', () => harness.pod('req-d')?.metadata.annotations?.[k.status]?.includes('strict decoding') && harness.pod('req-d')!.metadata.annotations![k.status]!);
    expect(JSON.parse(status)).toEqual({
      Errors: ['failed to construct the nominal server-providing Pod: failed to unmarshal patched pod: strict decoding error: unknown field "spec.containers[0].imagee"'],
    });
    const nodeName = (harness.pod('req-d')!.spec as { nodeName: string }).nodeName;
    harness.sim.store.mutate('nodes', undefined, nodeName, (n) => {
      n.spec = { ...((n.spec as object | undefined) ?? {}), unschedulable: true };
    });
    await harness.waitFor('req-d deleted', () => !harness.pod('req-d'));
    expect(logLines(harness.dpc.logText(), '"Deleted server-requesting Pod on unschedulable Node"', 'requesterName="req-d"')).toHaveLength(1);
  });

  it('without gpu-map the requester shows the error and proceeds once the ConfigMap appears', async () => {
    h = await startHarness();
    const harness = h;
    const k = harness.keys;
    const node = harness.sim.store.list('nodes', undefined).items[0]!;
    harness.sim.store.delete('configmaps', harness.ns, 'gpu-map');
    harness.create('pods', requesterPod('req-m', { [k.serverPatch]: directPatch() }));
    await harness.waitFor('the gpu-map error', () => harness.pod('req-m')?.metadata.annotations?.[k.status] === '{"Errors":["GPU map ConfigMap gpu-map is not available"]}');
    const uuid = harness.pod('req-m')!.metadata.annotations![k.accelerators]!;
    harness.create('configmaps', gpuMapConfigMap([{ name: node.metadata.name!, gpus: [{ uuid, index: 0 }] }], harness.ns));
    await harness.waitFor('req-m Ready', () => isReady(harness.pod('req-m')));
    expect(harness.pod('req-m')!.metadata.annotations?.[k.status]).toBe('{"Errors":null}');
  });
});
