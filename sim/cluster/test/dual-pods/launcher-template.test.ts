import { describe, expect, it } from 'vitest';
import { dualPodsKeys } from '../../behaviour/dual-pods/keys.ts';
import { buildLauncherTemplate, launcherConfigHash, specializeLauncherToNode } from '../../behaviour/dual-pods/launcher-template.ts';
import type { KObject } from '../../store-types.ts';

const keys = dualPodsKeys();
const lc = (image = 'launcher:1'): KObject => ({
  apiVersion: 'fma.llm-d.ai/v1alpha1',
  kind: 'LauncherConfig',
  metadata: { name: 'lc1', namespace: 'ns', uid: 'lc-uid' },
  spec: {
    maxInstances: 2,
    podTemplate: {
      metadata: { labels: { team: 'a' } },
      spec: { containers: [{ name: 'inference-server', image, env: [{ name: 'VLLM_SERVER_DEV_MODE', value: '0' }], resources: { limits: { 'nvidia.com/gpu': '1', cpu: '2' } } }] },
    },
  },
});

describe('launcher Pods from a LauncherConfig (protocol 2.4 "Cold launcher creation")', () => {
  it('adds the launcher labels, forced env, probes on :8001, GPU 0 and the notifier sidecar', () => {
    const { template, templateHash, ownerRef } = buildLauncherTemplate(lc(), keys, 'ns');
    expect(template.metadata.generateName).toBe('launcher-lc1-');
    expect(template.metadata.labels).toEqual({ team: 'a', 'app.kubernetes.io/component': 'launcher', [keys.launcherConfigName]: 'lc1' });
    const [main, side] = (template.spec as { containers: Array<Record<string, any>> }).containers;
    expect(main!.env).toEqual([
      { name: 'VLLM_SERVER_DEV_MODE', value: '1' },
      { name: 'PYTHONPATH', value: '/app' },
      { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' },
      { name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'compute,utility' },
    ]);
    expect(main!.readinessProbe).toMatchObject({ httpGet: { path: '/v2/vllm/instances', port: 8001 }, initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2 });
    expect(main!.livenessProbe).toMatchObject({ httpGet: { path: '/health', port: 8001 }, initialDelaySeconds: 10, periodSeconds: 20 });
    expect(main!.resources.limits).toEqual({ 'nvidia.com/gpu': '0', cpu: '2' });
    expect(side!.name).toBe('state-change-reflector');
    expect(ownerRef).toEqual({ apiVersion: 'fma.llm-d.ai/v1alpha1', kind: 'LauncherConfig', name: 'lc1', uid: 'lc-uid', controller: false, blockOwnerDeletion: false });
    expect(templateHash).toMatch(/^[A-Za-z0-9+/]{43}$/);
  });

  it('specialises per node: node label, sleeping=true, nodeSelector, and node-specific hash', () => {
    const t = buildLauncherTemplate(lc(), keys, 'ns');
    const a = specializeLauncherToNode(t, 'node-a', keys);
    const b = specializeLauncherToNode(t, 'node-b', keys);
    expect(a.metadata.labels?.[keys.nodeName]).toBe('node-a');
    expect(a.metadata.labels?.[keys.sleeping]).toBe('true');
    expect((a.spec as { nodeSelector: Record<string, string> }).nodeSelector).toEqual({ 'kubernetes.io/hostname': 'node-a' });
    expect(a.metadata.annotations?.[keys.launcherPopulatorTemplateHash]).toBe(t.templateHash);
    expect(a.metadata.annotations?.[keys.launcherConfigHash]).toBe(launcherConfigHash(t.templateHash, 'node-a'));
    expect(a.metadata.annotations?.[keys.launcherConfigHash]).not.toBe(b.metadata.annotations?.[keys.launcherConfigHash]);
    expect(a.metadata.ownerReferences).toHaveLength(1);
  });

  it('hashes the template: a changed LauncherConfig gives a new hash, the same one the same hash', () => {
    expect(buildLauncherTemplate(lc(), keys, 'ns').templateHash).toBe(buildLauncherTemplate(lc(), keys, 'ns').templateHash);
    expect(buildLauncherTemplate(lc('launcher:2'), keys, 'ns').templateHash).not.toBe(buildLauncherTemplate(lc(), keys, 'ns').templateHash);
  });

  it('launcher-config-hash is base64 raw std of SHA-256(templateHash ∥ ";node=" ∥ node) (hand-computed)', () => {
    // printf 'abc;node=n1' | openssl dgst -sha256 -binary | base64 | tr -d =
    expect(launcherConfigHash('abc', 'n1')).toBe('g5ZHF37xrn9HptxdoXggUoOigOm+GmBl05y8kl2Rki8');
  });

  it('rejects a template without an inference-server container', () => {
    const bad = lc();
    (bad.spec as any).podTemplate.spec.containers[0].name = 'main';
    expect(() => buildLauncherTemplate(bad, keys, 'ns')).toThrow('container "inference-server" not found');
  });
});
