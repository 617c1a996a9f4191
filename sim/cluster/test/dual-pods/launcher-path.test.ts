import { afterEach, describe, expect, it } from 'vitest';
import { inferenceServerConfig, isReady, launcherConfig, logLines, metricValue, requesterPod, startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ROUTING = 'llm-d.ai/inferenceServing';

describe('launcher (M3) path against the cluster simulator (protocol 9.3 C, F, G)', () => {
  it('cold launcher, hot wake, warm instance, then a reclaim with one deletion', async () => {
    h = await startHarness({ dpc: { populator: { enabled: false } } });
    const harness = h;
    const { keys, ns } = harness;
    harness.create('launcherconfigs', launcherConfig('lc1', 2));
    harness.create('inferenceserverconfigs', inferenceServerConfig('isc-a', 'lc1', 8005, 'model-a'));
    harness.create('inferenceserverconfigs', inferenceServerConfig('isc-b', 'lc1', 8006, 'model-b'));
    harness.create('inferenceserverconfigs', inferenceServerConfig('isc-c', 'lc1', 8007, 'model-c'));
    const count = (path: string, isc: string, deleted = 0) =>
      metricValue(harness.dpc.metricsText(), `fma_actuation_seconds_count{exported_namespace="${ns}",path="${path}",instancesDeleted="${deleted}",isc_name="${isc}"}`);
    const serve = async (name: string, isc: string) => {
      harness.create('pods', requesterPod(name, { [keys.inferenceServerConfig]: isc }));
      await harness.waitFor(`${name} Ready`, () => isReady(harness.pod(name)));
      return harness.pod(name)!;
    };
    const release = async (name: string) => {
      harness.sim.store.delete('pods', ns, name);
      await harness.waitFor(`${name} gone`, () => !harness.pod(name));
    };

    // Cold: no launcher yet; one is created already bound, the instance is PUT once it is Ready.
    const r1 = await serve('req-aaaa1', 'isc-a');
    const launcherName = r1.metadata.labels?.[keys.dual];
    expect(launcherName).toMatch(/^launcher-lc1-/);
    const instance = r1.metadata.labels?.[keys.instance];
    expect(instance).toMatch(/^I[-A-Za-z0-9_]{43}i$/);
    let launcher = harness.pod(launcherName!)!;
    expect(launcher.metadata.annotations?.[keys.instanceId]).toBe(instance);
    expect(launcher.metadata.annotations?.[keys.serverPort]).toBe('8005');
    expect(launcher.metadata.labels).toMatchObject({ [keys.sleeping]: 'false', [ROUTING]: 'true', 'app.kubernetes.io/component': 'launcher', [keys.launcherConfigName]: 'lc1' });
    expect(launcher.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'LauncherConfig', name: 'lc1', controller: false });
    let log = harness.dpc.logText();
    expect(logLines(log, '"Created launcher-based server-providing pod"', 'requesterName="req-aaaa1"', 'k8sCallStartTime=')).toHaveLength(1);
    expect(logLines(log, '"HTTP call done"', 'purpose="create_instance"', 'method="PUT"', 'statusCode=201')).toHaveLength(1);
    // A new instance refuses connections while it loads: polled with the fixed 5 s retry.
    expect(logLines(log, '"HTTP call done"', 'purpose="query_sleeping"', 'statusCode=0').length).toBeGreaterThan(0);
    expect(logLines(log, '"Determined whether provider is sleeping"', 'isSleeping=false')).toHaveLength(1);
    expect(count('cold', 'isc-a')).toBe(1);

    const duality = (req: string, value: number) => new RegExp(`fma_duality\\{[^}]*requester_name="${req}"[^}]*instance_id="${instance}"[^}]*\\} ${value}`).test(harness.dpc.metricsText());
    expect(duality('req-aaaa1', 1)).toBe(true);

    // Scale down: routing label off, instance to sleep, launcher unbound.
    await release('req-aaaa1');
    await harness.waitFor('fma_duality back to 0', () => duality('req-aaaa1', 0));
    launcher = harness.pod(launcherName!)!;
    expect(launcher.metadata.labels?.[ROUTING]).toBeUndefined();
    expect(launcher.metadata.labels?.[keys.sleeping]).toBe('true');
    expect(launcher.metadata.annotations?.[keys.requester]).toBeUndefined();
    expect(launcher.metadata.annotations?.[keys.instanceId]).toBeUndefined();
    log = harness.dpc.logText();
    expect(logLines(log, '"Removed ISC routing labels from launcher Pod before sleeping"', 'requesterName="req-aaaa1"')).toHaveLength(1);
    expect(logLines(log, '"Put inference server to sleep"', 'requesterName="req-aaaa1"', ':8005')).toHaveLength(1);

    // Hot: same ISC on the same GPU -> same instance ID, woken in the existing launcher.
    const r2 = await serve('req-bbbb2', 'isc-a');
    expect(r2.metadata.labels?.[keys.dual]).toBe(launcherName);
    expect(r2.metadata.labels?.[keys.instance]).toBe(instance);
    log = harness.dpc.logText();
    expect(logLines(log, '"Woke inference server"', 'requesterName="req-bbbb2"', 'description="discovered-bound"')).toHaveLength(1);
    expect(count('hot', 'isc-a')).toBe(1);
    await release('req-bbbb2');

    // Warm: another ISC (other port) fits next to the sleeping instance (maxInstances 2).
    const r3 = await serve('req-cccc3', 'isc-b');
    expect(r3.metadata.labels?.[keys.dual]).toBe(launcherName);
    expect(count('warm', 'isc-b')).toBe(1);
    await release('req-cccc3');

    // Reclaim: the launcher is full (two sleeping instances); the LRU one (isc-a's) is deleted.
    const r4 = await serve('req-dddd4', 'isc-c');
    expect(r4.metadata.labels?.[keys.dual]).toBe(launcherName);
    log = harness.dpc.logText();
    expect(logLines(log, '"Ensured vLLM instance absent to reclaim launcher capacity"', 'requesterName="req-dddd4"', `instanceID="${instance}"`)).toHaveLength(1);
    expect(count('warm', 'isc-c', 1)).toBe(1);
    expect(harness.pods().filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'launcher')).toHaveLength(1);
  });
});

describe('instance garbage collection (protocol 2, "On an ISC spec change, obsolete sleeping instances are garbage-collected")', () => {
  it('deletes a sleeping instance whose ISC changed, and the next requester gets a fresh instance', async () => {
    h = await startHarness({ dpc: { populator: { enabled: false } } });
    const harness = h;
    const { keys, ns } = harness;
    harness.create('launcherconfigs', launcherConfig('lc1', 2));
    harness.create('inferenceserverconfigs', inferenceServerConfig('isc-a', 'lc1', 8005, 'model-a'));
    harness.create('pods', requesterPod('req-g1', { [keys.inferenceServerConfig]: 'isc-a' }));
    await harness.waitFor('req-g1 Ready', () => isReady(harness.pod('req-g1')));
    const oldInstance = harness.pod('req-g1')!.metadata.labels![keys.instance]!;
    harness.sim.store.delete('pods', ns, 'req-g1');
    await harness.waitFor('req-g1 gone', () => !harness.pod('req-g1'));
    harness.sim.store.mutate('inferenceserverconfigs', ns, 'isc-a', (o) => {
      (o.spec as { modelServerConfig: { options: string } }).modelServerConfig.options += ' --max-model-len 4096';
    });
    await harness.waitFor('the obsolete instance deleted', () => logLines(harness.dpc.logText(), '"Deleted obsolete sleeping instance"', `instanceID="${oldInstance}"`).length === 1);
    harness.create('pods', requesterPod('req-g2', { [keys.inferenceServerConfig]: 'isc-a' }));
    await harness.waitFor('req-g2 Ready', () => isReady(harness.pod('req-g2')));
    expect(harness.pod('req-g2')!.metadata.labels![keys.instance]).not.toBe(oldInstance);
    expect(metricValue(harness.dpc.metricsText(), `fma_actuation_seconds_count{exported_namespace="${ns}",path="warm",instancesDeleted="0",isc_name="isc-a"}`)).toBe(1);
  });
});
