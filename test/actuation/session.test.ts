/*
 * The actuation capability end to end, through the real Kubernetes client against the cluster
 * simulator over loopback (nothing mocked): measured paths and timings with their sources, the
 * controller's log facts, cleanup proven by the run label, the timeout diagnostic, a pod watch
 * cut mid-step, and the older naming convention.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RequesterRecord } from '../../lib/actuation/record.ts';
import type { ActuationResult } from '../../lib/actuation/result.ts';
import { runActuationScenario } from '../../lib/actuation/run.ts';
import { ActuationSession } from '../../lib/actuation/session.ts';
import { BenchError } from '../../lib/errors/index.ts';
import { kubeTimeMs } from '../../lib/k8s/cluster-time.ts';
import { labelled, labelledPods, openSimCluster, scenarioFile, scratch, templateText, testRunId, TEMPLATES, until, type SimCluster } from './helpers.ts';

const DIRECT = join(TEMPLATES, 'server-request.yaml');

const signals = (r: RequesterRecord) => r.classification.signals.map((s) => `${s.source}:${s.says}`);

describe('actuation sessions on the cluster simulator (current convention)', () => {
  let c: SimCluster;
  beforeAll(async () => {
    c = await openSimCluster();
  });
  afterAll(async () => {
    await c?.close();
  });

  test('baseline N=2 on the direct path: both cold, every interval with its source, the controller log read, nothing left', async () => {
    const dir = scratch();
    const file = scenarioFile(dir, `
defaults:
  template: ${DIRECT}
  replicas: 2
  first_token: { enabled: true, max_tokens: 4 }
scenarios:
  baseline: { type: baseline }
`);
    const runId = testRunId('base');
    const cleanups: string[][] = [];
    const result = await runActuationScenario({ conn: c.conn, suite: 'test', name: 'baseline', scenario: file.config.scenarios.baseline!, file, runId, onCleanup: (left) => cleanups.push(left) });

    expect(result.steps).toHaveLength(1);
    const step = result.steps[0]!;
    expect(step.timedOut).toBe(false);
    expect(step.dpcLog).toBe('read from pod dual-pods-controller-sim');
    const records = result.records;
    expect(records).toHaveLength(2);
    expect(new Set(records.map((r) => r.accelerators)).size).toBe(2);
    for (const r of records) {
      expect(r.ready).toBe(true);
      expect(r.style).toBe('direct');
      expect(r.path).toBe('cold');
      expect(r.provider).toMatch(new RegExp(`^${r.requester}-dual-`));
      expect(signals(r)).toEqual(expect.arrayContaining(['dpc_log:cold', 'provider_name:cold']));
      expect(r.classification.disagreements).toEqual([]);
      // The controller's own metric calls every direct-path actuation hot (protocol 3).
      expect(r.classification.controllerMetricPath).toBe('hot');
      const t = r.timings;
      expect(t.total?.source).toBe('client');
      expect(t.actuation?.source).toBe('kube');
      expect(t.actuationDpc?.source).toBe('kube-dpc_log');
      expect(t.probeLag?.source).toBe('dpc_log-client');
      expect(t.containerStart?.source).toBe('kube');
      // Modelled cold start: vLLM loads for ~60 s behind a provider probe with a 60 s initial delay.
      expect(t.actuation!.seconds).toBeGreaterThanOrEqual(55);
      expect(t.actuation!.seconds).toBeLessThan(120);
      expect(t.actuationDpc!.seconds).toBeGreaterThan(50);
      expect(t.actuationDpc!.seconds).toBeLessThanOrEqual(t.actuation!.seconds + 1);
      expect(t.total!.seconds).toBeGreaterThan(t.actuation!.seconds);
      expect(t.firstTokenAfterReady?.source).toBe('client');
      expect(t.firstTokenAfterReady!.seconds).toBeGreaterThan(0);
      expect(t.wake).toBeUndefined();
      // The raw moments behind the intervals, in order, each from its source.
      const m = r.moments!;
      const ms = (x: string | undefined) => Date.parse(x!);
      expect(Math.abs(ms(m.scaleRequest) - step.t0)).toBeLessThan(1); // ISO keeps whole milliseconds
      expect(ms(m.created)).toBeLessThanOrEqual(ms(m.scheduled.kube));
      expect(ms(m.containerStarted.kube)).toBeLessThanOrEqual(ms(m.ready.kube));
      expect(ms(m.scheduled.client)).toBeLessThanOrEqual(ms(m.dualLabel));
      expect(ms(m.dualLabel)).toBeLessThan(ms(m.ready.client));
      expect((ms(m.ready.kube) - ms(m.containerStarted.kube)) / 1000).toBe(t.actuation!.seconds);
      expect((ms(m.ready.client) - step.t0) / 1000).toBeCloseTo(t.total!.seconds, 2);
      expect(ms(m.ready.kube) % 1000).toBe(0); // whole seconds, as the API writes them
    }
    expect(result.summary.hitRates).toMatchObject({ cold: 1, hot: 0, warm: 0, coldLauncher: 0 });

    expect(cleanups).toEqual([[]]);
    expect(await labelled(c.conn, runId)).toEqual([]);
    // Providers carry the run label too (inherited from the requesters): none is left.
    expect(await labelledPods(c.conn)).toEqual([]);
    const state = await c.state();
    expect(state.vllm).toEqual([]);
    expect(state.nodes.flatMap((n) => n.gpus).filter((g) => g.pod !== null)).toEqual([]);
  });

  test('scale 0 -> 1 -> 0 -> 1: the sleeping provider is woken (hot), with the wake interval and agreeing signals', async () => {
    const runId = testRunId('wake');
    const session = await ActuationSession.open(c.conn, { template: DIRECT, runId, waitTimeoutS: 600, vars: { REPLICASET_NAME: `wake-${runId}` }, firstToken: null });
    let closed;
    try {
      const up = await session.scaleTo(1, 'up');
      expect(up.timedOut).toBe(false);
      const first = up.requesters[0]!;
      expect(first.path).toBe('cold');

      expect(await session.scaleDownTo(0)).toBe(true);
      // The requester is gone (not merely terminating), so its GPU is free again; its provider sleeps.
      const left = (await c.conn.core.listNamespacedPod({ namespace: c.conn.namespace, labelSelector: `vitest-llm-d/run=${runId}` })).items;
      expect(left.map((p) => p.metadata?.name)).toEqual([first.provider]);
      expect(left[0]!.metadata?.labels?.['dual-pods.llm-d.ai/sleeping']).toBe('true');

      const again = await session.scaleTo(1, 'up_again');
      expect(again.timedOut).toBe(false);
      expect(again.preexisting).toBe(0);
      expect(again.requesters).toHaveLength(1);
      const r = again.requesters[0]!;
      expect(r.requester).not.toBe(first.requester);
      expect(r.path).toBe('hot');
      expect(r.provider).toBe(first.provider);
      expect(r.accelerators).toBe(first.accelerators);
      expect(signals(r)).toEqual(expect.arrayContaining(['dpc_log:hot', 'provider_name:hot', 'provider_age:hot']));
      expect(r.classification.disagreements).toEqual([]);
      expect(r.timings.wake?.source).toBe('dpc_log');
      // The modelled wake takes ~0.5 s; loopback and event-loop delay count 100x at this time scale.
      expect(r.timings.wake!.seconds).toBeGreaterThan(0.1);
      expect(r.timings.wake!.seconds).toBeLessThan(5);
      expect(r.timings.actuation!.seconds).toBeLessThan(first.timings.actuation!.seconds / 3);
      expect(r.timings.actuationDpc!.seconds).toBeLessThan(15);
    } finally {
      closed = await session.close();
    }
    expect(closed.leftovers).toEqual([]);
    expect(closed.deleted).toEqual(expect.arrayContaining([expect.stringMatching(/^ReplicaSet\/wake-/), expect.stringMatching(/^Pod\/wake-.*-dual-/)]));
    expect(await session.leftovers()).toEqual([]);
    expect(await labelledPods(c.conn)).toEqual([]);
  });

  test('a provider that never becomes Ready: the step times out with the diagnostic, then everything is deleted', async () => {
    const dir = scratch();
    const never = templateText('server-request.yaml').replace('path: /health', 'path: /never');
    expect(never).toContain('path: /never');
    const file = scenarioFile(
      dir,
      `
defaults:
  template: never-ready.yaml
  replicas: 1
  wait_timeout_s: 100
  first_token: { enabled: false }
scenarios:
  stuck: { type: baseline, vars: { PROVIDER_PROBE_DELAY_S: "5" } }
`,
      { 'never-ready.yaml': never },
    );
    const runId = testRunId('stuck');
    const cleanups: string[][] = [];
    const started = performance.now();
    const err = await runActuationScenario({ conn: c.conn, suite: 'test', name: 'stuck', scenario: file.config.scenarios.stuck!, file, runId, onCleanup: (left) => cleanups.push(left) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BenchError);
    const e = err as BenchError & { result?: ActuationResult };
    expect(e.code).toBe('ACTUATION_TIMEOUT');
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('up#1: 0 of 1 requesters Ready after 100 s (cluster time)');
    expect(lines[1]).toBe('1 requester(s) not Ready:');
    const requester = e.result!.steps[0]!.requesters[0]!;
    // Which pod, on which node, which conditions, and its provider, waiting on its probe.
    expect(e.message).toMatch(new RegExp(`pod ${requester.requester} on sim-gpu-node-1: Running; [^\\n]*Ready=False`));
    expect(e.message).toMatch(new RegExp(`provider ${requester.requester}-dual-\\w+ on sim-gpu-node-1: Running; [^\\n]*Ready=False[^\\n]*inference-server: running, not ready`));
    expect(e.message).toMatch(/last \d+ events in namespace llm-d-sim:/);
    expect(e.message).toMatch(/Warning Unhealthy Pod\/\S+-dual-\w+: Readiness probe failed: HTTP probe failed with statuscode: 404/);
    expect(e.result!.steps[0]!.timedOut).toBe(true);
    expect(requester.ready).toBe(false);
    expect(requester.path).toBe('cold');
    // 100 cluster seconds at 0.01 is one real second; the rest is start-up and cleanup.
    expect(performance.now() - started).toBeLessThan(15_000);

    expect(cleanups).toEqual([[]]);
    expect(await labelled(c.conn, runId)).toEqual([]);
    expect(await labelledPods(c.conn)).toEqual([]);
  });

  test('a pod watch cut mid-step is resumed: every requester is still timed and the notes say so', async () => {
    const runId = testRunId('drop');
    const session = await ActuationSession.open(c.conn, { template: DIRECT, runId, waitTimeoutS: 600, vars: { REPLICASET_NAME: `drop-${runId}` }, firstToken: null });
    const drops: number[] = [];
    const drop = async () => {
      const res = await fetch(`${c.sim.url}/sim/drop-watches`, { method: 'POST' });
      expect(res.status).toBe(200);
      drops.push(((await res.json()) as { dropped: number }).dropped);
    };
    let closed;
    try {
      const step = session.scaleTo(2, 'up');
      // While the requesters start: both exist, neither is bound to a provider yet.
      await until('two requesters created', () => session.tracker.requesters.size === 2);
      expect([...session.tracker.requesters.values()].every((r) => r.ready.client === undefined)).toBe(true);
      await drop();
      // And once more while the providers load.
      await until('both requesters bound', () => [...session.tracker.requesters.values()].every((r) => r.bound.client !== undefined));
      await drop();
      const result = await step;
      expect(result.timedOut).toBe(false);
      expect(result.requesters).toHaveLength(2);
      for (const r of result.requesters) {
        expect(r.ready).toBe(true);
        expect(r.path).toBe('cold');
        for (const k of ['total', 'actuation', 'actuationDpc', 'bind', 'containerStart'] as const) expect(r.timings[k], `${r.requester} ${k}`).toBeDefined();
      }
      // What the tracker recorded equals what the API server holds: no event was lost in the gaps.
      for (const r of session.tracker.requesters.values()) {
        const pod = await c.conn.core.readNamespacedPod({ name: r.name, namespace: c.conn.namespace });
        expect(r.ready.kube).toBe(kubeTimeMs(pod.status?.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime));
        expect(r.bound.provider).toBe(pod.metadata?.labels?.['dual-pods.llm-d.ai/dual']);
      }
      expect(drops.every((n) => n >= 1)).toBe(true);
      const resumed = session.notes.filter((n) => n.startsWith('pod watch resumed'));
      expect(resumed.length).toBeGreaterThanOrEqual(2);
    } finally {
      closed = await session.close();
    }
    expect(closed.leftovers).toEqual([]);
    expect(await labelledPods(c.conn)).toEqual([]);
  });
});

describe('the older convention (dual-pod.llm-d.ai/ prefix, providers named <requester>-server)', () => {
  let c: SimCluster;
  beforeAll(async () => {
    c = await openSimCluster({ dualPods: { legacyNaming: true } });
  });
  afterAll(async () => {
    await c?.close();
  });

  test('is measured and classified (cold, then hot), with a warning about the prefix', async () => {
    const dir = scratch();
    const legacy = templateText('server-request.yaml').replaceAll('dual-pods.llm-d.ai/', 'dual-pod.llm-d.ai/');
    const file = scenarioFile(
      dir,
      `
defaults:
  template: legacy-request.yaml
  replicas: 1
  first_token: { enabled: false }
scenarios:
  legacy: { type: wake_cycle, cycles: 1 }
`,
      { 'legacy-request.yaml': legacy },
    );
    const runId = testRunId('legacy');
    const cleanups: string[][] = [];
    const result = await runActuationScenario({ conn: c.conn, suite: 'test', name: 'legacy', scenario: file.config.scenarios.legacy!, file, runId, onCleanup: (left) => cleanups.push(left) });

    expect(result.notes).toEqual(expect.arrayContaining([expect.stringContaining('uses the older "dual-pod.llm-d.ai/" prefix')]));
    expect(result.steps.map((s) => s.phase)).toEqual(['up#1', 'up_again#1']);
    const [up, again] = result.steps.map((s) => s.requesters[0]!);
    expect(up!.path).toBe('cold');
    expect(up!.provider).toBe(`${up!.requester}-server`);
    expect(signals(up!)).toEqual(expect.arrayContaining(['dpc_log:cold', 'provider_name:cold']));
    expect(up!.timings.actuation!.seconds).toBeGreaterThanOrEqual(55);
    expect(again!.path).toBe('hot');
    expect(again!.provider).toBe(up!.provider);
    expect(signals(again!)).toEqual(expect.arrayContaining(['dpc_log:hot', 'provider_name:hot']));
    expect(again!.classification.disagreements).toEqual([]);
    expect(again!.timings.wake?.source).toBe('dpc_log');
    expect(again!.timings.actuation!.seconds).toBeLessThan(20);
    expect(result.summary.hitRates.hot).toBe(1);

    expect(cleanups).toEqual([[]]);
    expect(await labelledPods(c.conn)).toEqual([]);
  });
});
