import { afterEach, describe, expect, it } from 'vitest';
import { directPatch, isReady, logLines, metricValue, requesterPod, startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('direct (M2) path against the cluster simulator (protocol 9.3 A-E, G)', () => {
  it('cold start, scale down to a sleeping unbound provider, then a hot hit on the same GPU', async () => {
    h = await startHarness();
    const { keys } = h;
    const harness = h;
    harness.create('pods', requesterPod('req-a1b2c', { [keys.serverPatch]: directPatch() }));

    // Cold: a provider generated for this requester, bound, and the readiness relayed.
    const provider = await harness.waitFor('a provider for req-a1b2c', () => harness.pods().find((p) => p.metadata.labels?.[keys.dual] === 'req-a1b2c'));
    const providerName = provider.metadata.name!;
    expect(providerName.startsWith('req-a1b2c-dual-')).toBe(true);
    await harness.waitFor('req-a1b2c Ready', () => isReady(harness.pod('req-a1b2c')));
    const req = harness.pod('req-a1b2c')!;
    expect(req.metadata.labels?.[keys.dual]).toBe(providerName);
    expect(req.metadata.finalizers).toContain(keys.requesterFinalizer);
    expect(req.metadata.annotations?.[keys.status]).toBe('{"Errors":null}');
    const uuid = req.metadata.annotations?.[keys.accelerators];
    expect(uuid).toMatch(/^GPU-/);
    const bound = harness.pod(providerName)!;
    expect(bound.metadata.annotations?.[keys.requester]).toBe(`${req.metadata.uid} req-a1b2c`);
    expect(bound.metadata.labels).toMatchObject({ [keys.sleeping]: 'false', role: 'provider' });
    expect(bound.metadata.labels?.app).toBeUndefined();
    expect(bound.metadata.finalizers).toContain(keys.providerFinalizer);

    let log = harness.dpc.logText();
    expect(logLines(log, '"Created server-providing pod"', 'requesterName="req-a1b2c"', 'k8sCallStartTime=')).toHaveLength(1);
    expect(logLines(log, '"HTTP call done"', 'purpose="get_gpu_uuids"', 'statusCode=200', 'httpCallStartTime="')).not.toHaveLength(0);
    expect(logLines(log, '"HTTP call done"', 'purpose="relay_ready"', 'statusCode=200')).toHaveLength(1);
    expect(logLines(log, '"Successfully relayed the readiness"', 'requesterName="req-a1b2c"', 'readiness="ready"')).toHaveLength(1);
    // M2 actuations never set NeededNew*: recorded as "hot" (protocol section 3).
    expect(logLines(log, '"Observed actuation latency"', 'path="hot"')).toHaveLength(1);
    expect(metricValue(harness.dpc.metricsText(), `fma_actuation_seconds_count{exported_namespace="${harness.ns}",path="hot",instancesDeleted="0",isc_name=""}`)).toBe(1);

    // Scale down: the provider is put to sleep and unbound; the requester's finalizer goes.
    harness.sim.store.delete('pods', harness.ns, 'req-a1b2c');
    await harness.waitFor('req-a1b2c gone', () => !harness.pod('req-a1b2c'));
    const asleep = harness.pod(providerName)!;
    expect(asleep.metadata.labels?.[keys.sleeping]).toBe('true');
    expect(asleep.metadata.labels?.[keys.dual]).toBeUndefined();
    expect(asleep.metadata.annotations?.[keys.requester]).toBeUndefined();
    expect(asleep.metadata.finalizers ?? []).not.toContain(keys.providerFinalizer);
    log = harness.dpc.logText();
    expect(logLines(log, '"Put inference server to sleep"', 'requesterName="req-a1b2c"')).toHaveLength(1);
    expect(logLines(log, '"Unbound server-providing Pod"', 'requesterName="req-a1b2c"')).toHaveLength(1);

    // Scale up: first-fit assigns the same GPU, so the nominal hash matches: bind + wake.
    harness.create('pods', requesterPod('req-d3e4f', { [keys.serverPatch]: directPatch() }));
    await harness.waitFor('req-d3e4f Ready', () => isReady(harness.pod('req-d3e4f')));
    const second = harness.pod('req-d3e4f')!;
    expect(second.metadata.annotations?.[keys.accelerators]).toBe(uuid);
    expect(second.metadata.labels?.[keys.dual]).toBe(providerName);
    expect(harness.pod(providerName)!.metadata.labels?.[keys.sleeping]).toBe('false');
    log = harness.dpc.logText();
    expect(logLines(log, '"Bound server-providing Pod"', 'requesterName="req-d3e4f"', `name="${providerName}"`)).toHaveLength(1);
    expect(logLines(log, '"Woke inference server"', 'requesterName="req-d3e4f"', 'description="freshly-bound"')).toHaveLength(1);
    expect(logLines(log, '"Created server-providing pod"', 'requesterName="req-d3e4f"')).toHaveLength(0);
    expect(logLines(log, '"HTTP call done"', 'purpose="wake"', 'statusCode=200')).toHaveLength(1);
    expect(metricValue(harness.dpc.metricsText(), `fma_actuation_seconds_count{exported_namespace="${harness.ns}",path="hot",instancesDeleted="0",isc_name=""}`)).toBe(2);
    expect(harness.pods().filter((p) => p.metadata.annotations?.[keys.nominal])).toHaveLength(1);
  });
});
