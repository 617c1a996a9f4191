/*
 * The launcher path (milestone 3) through the real Kubernetes client against the cluster
 * simulator: the checked-in launcher templates, a cold launcher start, the instance woken in its
 * launcher (hot), a new instance in a populated launcher (warm), first tokens through the
 * launcher's `server-port`, and cleanup that takes the launchers too.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RequesterRecord } from '../../lib/actuation/record.ts';
import { actuationPermissions, ActuationSession } from '../../lib/actuation/session.ts';
import { renderTemplate, RUN_LABEL } from '../../lib/k8s/template.ts';
import { labelled, labelledPods, openSimCluster, testRunId, TEMPLATES, type SimCluster } from './helpers.ts';

const LAUNCHER = join(TEMPLATES, 'launcher-request.yaml');
const POPULATION = join(TEMPLATES, 'launcher-population.yaml');

const signals = (r: RequesterRecord) => r.classification.signals.map((s) => `${s.source}:${s.says}`);

describe('the launcher templates', () => {
  test('launcher-request.yaml: a LauncherConfig, an InferenceServerConfig and the requester that names it, all labelled with the run', () => {
    const r = renderTemplate({ file: LAUNCHER, runId: 'run-1', vars: { REPLICASET_NAME: 'lr-1' }, env: {} });
    expect(r.objects.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['LauncherConfig/lr-1-lc', 'InferenceServerConfig/lr-1-isc', 'ReplicaSet/lr-1']);
    expect(r.style).toBe('launcher');
    expect(r.isc).toBe('lr-1-isc');
    expect(r.warnings).toEqual([]);
    const [lc, isc] = r.objects;
    expect(lc!.spec).toMatchObject({ maxInstances: 2, podTemplate: { metadata: { labels: { [RUN_LABEL]: 'run-1' } } } });
    expect(isc!.spec).toMatchObject({ launcherConfigName: 'lr-1-lc', modelServerConfig: { port: 8000, env_vars: { VLLM_SERVER_DEV_MODE: '1' } } });
    expect((isc!.spec as { modelServerConfig?: { options?: string } }).modelServerConfig?.options).toBe(
      '--model Qwen/Qwen3-0.6B --enable-sleep-mode --no-enable-prefix-caching --load-format auto --gpu-memory-utilization 0.95 --max-model-len 8192 --tensor-parallel-size 1',
    );
    for (const m of r.objects) expect(m.metadata.labels?.[RUN_LABEL]).toBe('run-1');
    expect(actuationPermissions(r).map((p) => `${p.verb} ${p.resource}${p.subresource ? `/${p.subresource}` : ''}`)).toEqual([
      'create launcherconfigs',
      'list launcherconfigs',
      'delete launcherconfigs',
      'create inferenceserverconfigs',
      'list inferenceserverconfigs',
      'delete inferenceserverconfigs',
      'create replicasets',
      'list replicasets',
      'delete replicasets',
      'update replicasets/scale',
      'list pods',
      'watch pods',
      'delete pods',
      'list events',
    ]);
  });

  test('launcher-population.yaml adds a LauncherPopulationPolicy for that LauncherConfig on the GPU nodes', () => {
    const r = renderTemplate({ file: POPULATION, runId: 'run-2', vars: { REPLICASET_NAME: 'lp-1', LAUNCHER_COUNT: '3' }, env: {} });
    expect(r.objects.map((m) => m.kind)).toEqual(['LauncherConfig', 'LauncherPopulationPolicy', 'InferenceServerConfig', 'ReplicaSet']);
    expect(r.objects[1]!.spec).toEqual({
      enhancedNodeSelector: { labelSelector: { matchLabels: { 'nvidia.com/gpu.present': 'true' } } },
      countForLauncher: [{ launcherConfigName: 'lp-1-lc', launcherCount: 3 }],
    });
  });
});

describe('launcher-path sessions on the cluster simulator', () => {
  let c: SimCluster;
  beforeAll(async () => {
    c = await openSimCluster({ timeScale: 0.01 });
  });
  afterAll(async () => {
    await c?.close();
  });

  test('cold with launcher, then the sleeping instance woken in the same launcher (hot); first tokens through the server port; launchers deleted', async () => {
    const runId = testRunId('lhot');
    const session = await ActuationSession.open(c.conn, {
      template: LAUNCHER,
      runId,
      waitTimeoutS: 600,
      vars: { REPLICASET_NAME: `lhot-${runId}` },
      firstToken: { model: 'Qwen/Qwen3-0.6B', maxTokens: 4 },
    });
    let closed;
    try {
      const up = await session.scaleTo(1, 'up');
      expect(up.timedOut).toBe(false);
      const cold = up.requesters[0]!;
      expect(cold.style).toBe('launcher');
      expect(cold.path).toBe('cold_launcher');
      expect(cold.provider).toMatch(new RegExp(`^launcher-lhot-${runId}-lc-`));
      expect(signals(cold)).toEqual(['dpc_log:cold_launcher', 'launcher_age:cold_launcher']);
      expect(cold.classification.controllerMetricPath).toBe('cold');
      // Launcher pod ~16-20 s to Ready, then the instance ~20 s to serve, plus probe periods.
      expect(cold.timings.actuation!.seconds).toBeGreaterThan(30);
      expect(cold.timings.actuation!.seconds).toBeLessThan(90);
      expect(cold.timings.actuationDpc?.source).toBe('kube-dpc_log');
      // The first token went to <launcher IP>:<server-port>: the instance, not the launcher API.
      expect(cold.timings.firstTokenAfterReady?.source).toBe('client');
      expect(cold.timings.firstTokenTtft!.seconds).toBeGreaterThan(0);
      const launcher = session.tracker.providers.get(cold.provider!)!;
      expect(launcher.launcher).toBe(true);
      expect(launcher.instances).toHaveLength(1);
      const instance = launcher.instances[0]!.id;

      expect(await session.scaleDownTo(0)).toBe(true);
      const again = await session.scaleTo(1, 'up_again');
      expect(again.timedOut).toBe(false);
      const hot = again.requesters[0]!;
      expect(hot.path).toBe('hot');
      expect(hot.provider).toBe(cold.provider);
      expect(session.tracker.requesters.get([...session.tracker.requesters.values()].find((x) => x.name === hot.requester)!.uid)!.instance).toBe(instance);
      expect(signals(hot)).toEqual(['dpc_log:hot', 'launcher_age:not_cold', 'instance_seen:hot']);
      expect(hot.classification.disagreements).toEqual([]);
      expect(hot.classification.controllerMetricPath).toBe('hot');
      expect(hot.timings.wake?.source).toBe('dpc_log');
      expect(hot.timings.actuation!.seconds).toBeLessThan(cold.timings.actuation!.seconds / 2);
      expect(hot.timings.firstTokenAfterReady).toBeDefined();
      expect(session.notes.filter((n) => n.startsWith('first token'))).toEqual([]);
    } finally {
      closed = await session.close();
    }
    expect(closed.leftovers).toEqual([]);
    expect(closed.deleted).toEqual(expect.arrayContaining([`LauncherConfig/lhot-${runId}-lc`, `InferenceServerConfig/lhot-${runId}-isc`, `ReplicaSet/lhot-${runId}`]));
    expect(await labelled(c.conn, runId)).toEqual([]);
    // The launcher carried the run label (from the LauncherConfig's pod template) and is gone.
    expect(await labelledPods(c.conn)).toEqual([]);
    const state = await c.state();
    expect(state.pods.filter((p) => p.name.startsWith(`launcher-lhot-${runId}`))).toEqual([]);
    expect(state.vllm).toEqual([]);
  });

  test('a populated launcher: the session waits for it, the requester gets a new instance in it (warm)', async () => {
    const runId = testRunId('lwarm');
    const session = await ActuationSession.open(c.conn, { template: POPULATION, runId, waitTimeoutS: 600, vars: { REPLICASET_NAME: `lwarm-${runId}` }, firstToken: null });
    let closed;
    try {
      expect(session.notes).toEqual([expect.stringMatching(new RegExp(`^waited \\d+\\.\\d s for the populated launchers \\(2 of LauncherConfig lwarm-${runId}-lc\\) to be Ready before the first step$`))]);
      const launchersBefore = [...session.tracker.providers.values()].filter((p) => p.launcher).map((p) => p.name);
      expect(launchersBefore).toHaveLength(2);
      const step = await session.scaleTo(1, 'up');
      expect(step.timedOut).toBe(false);
      const r = step.requesters[0]!;
      expect(r.path).toBe('warm');
      expect(launchersBefore).toContain(r.provider);
      expect(signals(r)).toEqual(['dpc_log:warm', 'launcher_age:not_cold', 'instance_seen:warm']);
      expect(r.classification.controllerMetricPath).toBe('warm');
      // Only the instance starts (~20 s) behind probe and relay periods: well under a cold launcher start.
      expect(r.timings.actuation!.seconds).toBeGreaterThan(15);
      expect(r.timings.actuation!.seconds).toBeLessThan(45);
    } finally {
      closed = await session.close();
    }
    expect(closed.leftovers).toEqual([]);
    expect(closed.deleted).toEqual(expect.arrayContaining([`LauncherPopulationPolicy/lwarm-${runId}-lpp`]));
    expect(await labelledPods(c.conn)).toEqual([]);
  });
});
