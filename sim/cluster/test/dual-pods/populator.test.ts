import { afterEach, describe, expect, it } from 'vitest';
import type { KObject } from '../../store-types.ts';
import { inferenceServerConfig, isReady, launcherConfig, logLines, metricValue, requesterPod, startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function policy(name: string, lcName: string, launcherCount: number): KObject {
  return {
    apiVersion: 'fma.llm-d.ai/v1alpha1',
    kind: 'LauncherPopulationPolicy',
    metadata: { name },
    spec: {
      enhancedNodeSelector: { labelSelector: { matchLabels: { 'nvidia.com/gpu.present': 'true' } }, allocatableResources: {} },
      countForLauncher: [{ launcherConfigName: lcName, launcherCount }],
    },
  };
}

const launchers = (harness: Harness) => harness.pods().filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'launcher');

describe('launcher populator (protocol 5 "Proactive population", 9.3 I)', () => {
  it('keeps launcherCount launchers per selected node; a requester then starts warm in a populated launcher', async () => {
    h = await startHarness({ nodes: 2 });
    const harness = h;
    const { keys, ns } = harness;
    harness.create('launcherconfigs', launcherConfig('lc1', 2));
    harness.create('launcherpopulationpolicies', policy('lpp1', 'lc1', 1));
    await harness.waitFor('one Ready launcher per node', () => {
      const ls = launchers(harness);
      return ls.length === 2 && ls.every(isReady) && ls;
    });
    const byNode = launchers(harness).map((p) => p.metadata.labels?.[keys.nodeName]).sort();
    expect(byNode).toEqual(['sim-gpu-node-1', 'sim-gpu-node-2']);
    const populated = launchers(harness)[0]!;
    expect(populated.metadata.annotations?.[keys.requester]).toBeUndefined();
    expect(populated.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'LauncherConfig', name: 'lc1' });
    expect(logLines(harness.dpc.populatorLogText(), '"Created launcher pod"')).toHaveLength(2);

    // The requester binds a populated launcher: a new instance in an existing launcher ("warm").
    harness.create('inferenceserverconfigs', inferenceServerConfig('isc-a', 'lc1', 8005, 'model-a'));
    harness.create('pods', requesterPod('req-w1', { [keys.inferenceServerConfig]: 'isc-a' }));
    await harness.waitFor('req-w1 Ready', () => isReady(harness.pod('req-w1')));
    const boundTo = harness.pod('req-w1')!.metadata.labels?.[keys.dual];
    expect(launchers(harness).map((p) => p.metadata.name)).toContain(boundTo);
    expect(logLines(harness.dpc.logText(), '"Created launcher-based server-providing pod"')).toHaveLength(0);
    expect(metricValue(harness.dpc.metricsText(), `fma_actuation_seconds_count{exported_namespace="${ns}",path="warm",instancesDeleted="0",isc_name="isc-a"}`)).toBe(1);
    // The bound launcher still counts toward the policy: no extra launcher appears.
    expect(launchers(harness)).toHaveLength(2);

    // Scaling the policy down deletes unbound launchers only.
    harness.sim.store.mutate('launcherpopulationpolicies', ns, 'lpp1', (o) => {
      (o.spec as { countForLauncher: Array<{ launcherCount: number }> }).countForLauncher[0]!.launcherCount = 0;
    });
    await harness.waitFor('only the bound launcher left', () => launchers(harness).length === 1 && launchers(harness)[0]!.metadata.name === boundTo);
    expect(logLines(harness.dpc.populatorLogText(), '"Deleted excess launcher pod"')).toHaveLength(1);
  });

  it('labels a launcher stuck starting, with a LauncherStuck Warning Event, keeps it, and clears the label once Ready', async () => {
    h = await startHarness({ dpc: { populator: { stuckStartingMs: 1000 } } });
    const harness = h;
    const { keys, ns } = harness;
    harness.create('launcherconfigs', launcherConfig('lc1', 1));
    harness.create('launcherpopulationpolicies', policy('lpp1', 'lc1', 1));
    const stuck = await harness.waitFor('a stuck label', () => launchers(harness).find((p) => p.metadata.labels?.[keys.launcherStuck] === 'true'));
    const events = await harness.waitFor('a LauncherStuck Event', () => {
      const found = harness.sim.store.list('events', ns).items.filter((e) => e.reason === 'LauncherStuck');
      return found.length > 0 && found;
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'Warning', involvedObject: { name: stuck.metadata.name } });
    expect(String(events[0]!.message)).toContain('stuck_starting');
    await harness.waitFor('the launcher Ready and unlabelled', () => {
      const p = harness.pod(stuck.metadata.name!);
      return p && isReady(p) && p.metadata.labels?.[keys.launcherStuck] === undefined;
    });
    expect(launchers(harness)).toHaveLength(1);
  });
});
