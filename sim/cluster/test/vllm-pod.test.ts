import { afterEach, describe, expect, it } from 'vitest';
import { condition, ms, openSim, type SimHarness } from './sim-harness.ts';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function vllmPod(name: string, opts: { command: string[]; env?: Array<{ name: string; value: string }>; gpus?: number; node?: string }) {
  return {
    metadata: { name },
    spec: {
      ...(opts.node ? { nodeSelector: { 'kubernetes.io/hostname': opts.node } } : {}),
      containers: [
        {
          name: 'inference-server',
          image: 'vllm/vllm-openai:v0.11.0',
          command: opts.command,
          env: opts.env ?? [],
          resources: { limits: { 'nvidia.com/gpu': String(opts.gpus ?? 1) } },
          readinessProbe: { httpGet: { path: '/health', port: 8000 }, periodSeconds: 5 },
        },
      ],
    },
  };
}

async function attempt(url: string, init?: RequestInit): Promise<Response | 'refused'> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return 'refused';
    throw err;
  }
}

const completion = (model: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: 'hello there', max_tokens: 3 }) });

describe('vLLM containers', () => {
  it('refuse connections for the modelled load time, then serve completions on podIP:8000 and turn Ready', async () => {
    h = await openSim({ timing: { vllmLoadMs: 30_000 } });
    const s = h;
    await s.core.createNamespacedPod({ namespace: s.ns, body: vllmPod('vllm', { command: ['vllm', 'serve', 'Qwen/Qwen3-0.6B', '--port', '8000', '--served-model-name', 'qwen-small'] }) });
    const started = await s.until('container running', async () => {
      const p = await s.pod('vllm');
      return p.status?.containerStatuses?.[0]?.state?.running && p;
    });
    const base = `http://${started.status!.podIP}:8000`;
    expect(await attempt(`${base}/v1/completions`, completion('qwen-small'))).toBe('refused');
    const startedAt = ms(started.status!.containerStatuses![0]!.state!.running!.startedAt);
    // Refused until the load time is over: the last refused attempt started before it ended, the
    // first served one after (bounds that hold however late the event loop runs the polls).
    let lastRefusedAt = -Infinity;
    const served = await s.until('first completion', async () => {
      const attemptAt = s.now();
      const r = await attempt(`${base}/v1/completions`, completion('qwen-small'));
      if (r === 'refused') lastRefusedAt = attemptAt;
      return r !== 'refused' && r;
    });
    const servedAt = s.now();
    expect(served.status).toBe(200);
    expect(((await served.json()) as { model: string }).model).toBe('qwen-small');
    // startedAt is truncated to the second.
    expect(servedAt - startedAt).toBeGreaterThanOrEqual(30_000);
    expect(lastRefusedAt - startedAt).toBeGreaterThan(20_000);
    expect(lastRefusedAt - startedAt).toBeLessThanOrEqual(31_000);
    const ready = await s.until('vllm Ready', async () => {
      const p = await s.pod('vllm');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    expect(ms(condition(ready, 'Ready')!.lastTransitionTime) - startedAt).toBeGreaterThanOrEqual(30_000);
    const log = String(await s.core.readNamespacedPodLog({ name: 'vllm', namespace: s.ns }));
    expect(log).toContain(`Starting vLLM API server 0 on ${base}`);
    expect(log).toContain('Application startup complete.');
    expect((await s.state()).vllm).toEqual([expect.objectContaining({ pod: `${s.ns}/vllm`, url: base, state: 'awake', models: ['qwen-small'], instanceId: null })]);
  });

  it('sleeps and wakes only with --enable-sleep-mode and VLLM_SERVER_DEV_MODE=1; GPU memory follows, as a requester on that GPU reports it', async () => {
    h = await openSim({ nodes: 1, gpusPerNode: 2, timing: { vllmLoadMs: 5000 } });
    const s = h;
    // A requester holds GPU 0; a direct provider (no GPU limit, CUDA_VISIBLE_DEVICES=0) runs on it, as the dual-pods controller makes them.
    await s.core.createNamespacedPod({
      namespace: s.ns,
      body: {
        metadata: { name: 'req', annotations: { 'dual-pods.llm-d.ai/server-patch': 'spec: {}\n' } },
        spec: { containers: [{ name: 'inference-server', image: 'ghcr.io/llm-d-incubation/llm-d-fast-model-actuation/requester:latest', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
      },
    });
    const sleepy = ['vllm', 'serve', 'Qwen/Qwen3-0.6B', '--enable-sleep-mode'];
    await s.core.createNamespacedPod({ namespace: s.ns, body: vllmPod('provider', { command: sleepy, gpus: 0, env: [{ name: 'VLLM_SERVER_DEV_MODE', value: '1' }, { name: 'CUDA_VISIBLE_DEVICES', value: '0' }] }) });
    await s.core.createNamespacedPod({ namespace: s.ns, body: vllmPod('nodev', { command: sleepy, gpus: 1 }) });
    const ipOf = async (name: string) => (await s.pod(name)).status?.podIP;
    const provider = `http://${await s.until('provider ip', () => ipOf('provider'))}:8000`;
    const nodev = `http://${await s.until('nodev ip', () => ipOf('nodev'))}:8000`;
    await s.until('both serving', async () => (await attempt(`${provider}/health`)) !== 'refused' && (await attempt(`${nodev}/health`)) !== 'refused');
    const reqIp = await s.until('req ip', () => ipOf('req'));
    const gpu0 = (await s.state()).nodes[0]!.gpus[0]!.uuid;
    const memory = async () => ((await (await fetch(`http://${reqIp}:8081/v1/dual-pods/accelerator-memory-usage`)).json()) as Record<string, number>)[gpu0]!;
    expect(await memory()).toBe(Math.round(0.9 * 81559));

    expect((await attempt(`${nodev}/sleep`, { method: 'POST' })) as Response).toMatchObject({ status: 404 });
    expect(((await attempt(`${provider}/sleep`, { method: 'POST' })) as Response).status).toBe(200);
    expect(await (await fetch(`${provider}/is_sleeping`)).json()).toEqual({ is_sleeping: true });
    expect(await memory()).toBe(512);
    const state = await s.state();
    expect(state.sleeping.map((v) => v.pod)).toEqual([`${s.ns}/provider`]);
    expect(state.sleeping[0]!.gpus).toEqual([gpu0]);
    expect((await fetch(`${provider}/v1/completions`, completion('Qwen/Qwen3-0.6B'))).status).toBe(503);

    expect((await fetch(`${provider}/wake_up`, { method: 'POST' })).status).toBe(200);
    expect(await (await fetch(`${provider}/is_sleeping`)).json()).toEqual({ is_sleeping: false });
    expect(await memory()).toBe(Math.round(0.9 * 81559));
    const log = String(await s.core.readNamespacedPodLog({ name: 'provider', namespace: s.ns }));
    expect(log).toMatch(/Sleep mode freed [\d.]+ GiB memory, 0\.50 GiB memory is still in use\./);
    expect(log).toMatch(/It took [\d.]+ seconds to wake up/);
  });

  it('serve behind a Service: a Deployment of vLLM pods answers on its ClusterIP once a pod is Ready', async () => {
    h = await openSim({ timing: { vllmLoadMs: 10_000 } });
    const s = h;
    const template = { metadata: { labels: { app: 'standalone' } }, spec: vllmPod('x', { command: ['vllm', 'serve', 'Qwen/Qwen3-0.6B'] }).spec };
    await s.apps.createNamespacedDeployment({ namespace: s.ns, body: { metadata: { name: 'standalone' }, spec: { replicas: 1, selector: { matchLabels: { app: 'standalone' } }, template } } });
    const svc = await s.core.createNamespacedService({ namespace: s.ns, body: { metadata: { name: 'standalone' }, spec: { selector: { app: 'standalone' }, ports: [{ port: 80, targetPort: 8000 }] } } });
    const ip = svc.spec!.clusterIP!;
    expect(ip).toMatch(/^127\.2\.\d+\.\d+$/);
    const served = await s.until('completion through the Service', async () => {
      const r = await attempt(`http://${ip}:80/v1/completions`, completion('Qwen/Qwen3-0.6B'));
      return r !== 'refused' && r.status === 200 && r;
    });
    const body = (await served.json()) as { usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBe(3);
    const ready = (await s.core.listNamespacedPod({ namespace: s.ns, labelSelector: 'app=standalone' })).items[0]!;
    expect(condition(ready, 'Ready')?.status).toBe('True');
  });

  it('a vLLM container whose port is taken exits with code 1; the kubelet records it per restartPolicy', async () => {
    h = await openSim({ timing: { vllmLoadMs: 2000 } });
    const s = h;
    const twin = (name: string) => ({ name, image: 'vllm/vllm-openai:v0.11.0', command: ['vllm', 'serve', 'm', '--port', '8000'] });
    await s.core.createNamespacedPod({ namespace: s.ns, body: { metadata: { name: 'clash' }, spec: { restartPolicy: 'Never', containers: [twin('a'), twin('b')] } } });
    const pod = await s.until('one container terminated', async () => {
      const p = await s.pod('clash');
      return p.status?.containerStatuses?.some((c) => c.state?.terminated) && p;
    });
    const statuses = pod.status!.containerStatuses!;
    const dead = statuses.find((c) => c.state?.terminated)!;
    const alive = statuses.find((c) => c !== dead)!;
    expect(dead.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(dead.restartCount).toBe(0);
    expect(alive.state?.running).toBeDefined();
    expect(pod.status?.phase).toBe('Running');
    const log = String(await s.core.readNamespacedPodLog({ name: 'clash', namespace: s.ns, container: dead.name }));
    expect(log).toMatch(/cannot listen on 127\.1\.\d+\.\d+:8000: .*EADDRINUSE/);
  });
});
