import { describe, expect, it } from 'vitest';
import { applyInstanceMetadata, desiredInstance, recoverInstance, validateRouting } from '../../behaviour/dual-pods/instance-state.ts';
import { dualPodsKeys } from '../../behaviour/dual-pods/keys.ts';
import { newServerData } from '../../behaviour/dual-pods/server-data.ts';
import type { KObject } from '../../store-types.ts';

const keys = dualPodsKeys();
const isc: KObject = {
  apiVersion: 'fma.llm-d.ai/v1alpha1',
  kind: 'InferenceServerConfig',
  metadata: { name: 'isc-a' },
  spec: { launcherConfigName: 'lc1', modelServerConfig: { port: 8005, options: '--model m', labels: { 'llm-d.ai/inferenceServing': 'true' }, annotations: { 'example.com/team': 'a' } } },
};
const launcher = (): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'launcher-lc1-abcde', labels: { app: 'x' }, annotations: {} } });

describe('launcher instance binding metadata (protocol 2.4 "Binding", "Routing labels")', () => {
  it('derives the instance from the ISC and the GPUs', () => {
    const plan = desiredInstance(isc, ['GPU-0']);
    expect(plan.serverPort).toBe(8005);
    expect(plan.cfg.options).toBe('--model m --port 8005');
    expect(plan.iscLabels).toEqual({ 'llm-d.ai/inferenceServing': 'true' });
    expect(() => desiredInstance({ ...isc, spec: { modelServerConfig: { port: 0 } } }, ['GPU-0'])).toThrow('modelServerConfig.port 0 is not in 1-65535');
  });

  it('records the instance on the launcher at bind time, routing labels only in the metadata annotation', () => {
    const pod = launcher();
    const plan = desiredInstance(isc, ['GPU-0']);
    expect(applyInstanceMetadata(pod, keys, plan)).toEqual([]);
    const a = pod.metadata.annotations!;
    expect(a[keys.instanceId]).toBe(plan.instanceId);
    expect(a[keys.serverPort]).toBe('8005');
    expect(JSON.parse(a[keys.vllmConfig]!)).toEqual(plan.cfg);
    expect(JSON.parse(a[keys.iscRoutingMetadata]!)).toEqual({ labels: { 'llm-d.ai/inferenceServing': 'true' }, annotations: { 'example.com/team': 'a' } });
    expect(pod.metadata.labels).toEqual({ app: 'x' });

    const sd = newServerData('u1', 'r1');
    recoverInstance(sd, pod, keys);
    expect(sd).toMatchObject({ instanceId: plan.instanceId, serverPort: 8005, iscLabels: plan.iscLabels, labelsApplied: false });
    pod.metadata.labels!['llm-d.ai/inferenceServing'] = 'true';
    pod.metadata.annotations!['example.com/team'] = 'a';
    const again = newServerData('u1', 'r1');
    recoverInstance(again, pod, keys);
    expect(again.labelsApplied).toBe(true);
  });

  it('rejects routing keys that are invalid, reserved or colliding', () => {
    expect(validateRouting(launcher(), keys, { 'bad key': 'v', [`${keys.prefix}x`]: 'v', app: 'y', ok: 'not valid!' }, { 'kubernetes.io/x': '1' })).toEqual([
      'ISC label key "bad key" is not a valid qualified name',
      `ISC label key "${keys.prefix}x" uses a reserved prefix`,
      'ISC label key "app" collides with existing pod label',
      'ISC label value "not valid!" for key "ok" is not valid',
      'ISC annotation key "kubernetes.io/x" uses a reserved prefix',
    ]);
  });

  it('refuses to recover from a launcher missing an instance annotation', () => {
    expect(() => recoverInstance(newServerData('u', 'r'), launcher(), keys)).toThrow(`bound launcher Pod "launcher-lc1-abcde" is missing annotation "${keys.instanceId}"`);
  });
});
