import { describe, expect, it } from 'vitest';
import { commandWords, parseVllmArgs, shellSplit } from '../behaviour/command-line.ts';
import { classifyContainer } from '../behaviour/container-kinds.ts';
import { instanceSignature } from '../behaviour/notifier-process.ts';
import { containerEnv, expandVars, podGpuRequest, viewPod } from '../behaviour/pod-spec.ts';
import { cudaDevices } from '../behaviour/vllm-container.ts';
import type { KObject } from '../store-types.ts';

const pod = (meta: Partial<KObject['metadata']> = {}): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u-1', ...meta }, spec: {} });

describe('container kinds', () => {
  it('classifies by the documented rules, first match wins', () => {
    const requesterPod = pod({ annotations: { 'dual-pods.llm-d.ai/inference-server-config': 'isc' } });
    const legacy = pod({ annotations: { 'dual-pod.llm-d.ai/server-patch': 'x' } });
    const launcherPod = pod({ labels: { 'app.kubernetes.io/component': 'launcher' } });
    const c = (name: string) => ({ name, image: 'img' });
    expect(classifyContainer(requesterPod, c('inference-server'), ['vllm', 'serve', 'm'])).toBe('requester');
    expect(classifyContainer(legacy, c('inference-server'), [])).toBe('requester');
    expect(classifyContainer(requesterPod, c('sidecar'), [])).toBe('generic');
    expect(classifyContainer(launcherPod, c('state-change-reflector'), ['python3', '/app/launcher_pod_notifier.py'])).toBe('launcher-notifier');
    expect(classifyContainer(pod(), c('x'), ['python3', '/app/launcher_pod_notifier.py'])).toBe('launcher-notifier');
    expect(classifyContainer(pod(), c('main'), ['/bin/bash', '-c', 'python3 launcher.py \\\n  --host 0.0.0.0 --port 8001'])).toBe('launcher');
    expect(classifyContainer(launcherPod, c('inference-server'), [])).toBe('launcher');
    expect(classifyContainer(pod(), c('vllm'), ['vllm', 'serve', 'Qwen/Qwen3-0.6B'])).toBe('vllm');
    expect(classifyContainer(pod(), c('vllm'), ['python3', '-m', 'vllm.entrypoints.openai.api_server', '--model', 'm'])).toBe('vllm');
    expect(classifyContainer(pod(), c('vllm'), ['sh', '-c', 'exec /usr/local/bin/vllm serve m --port 8000'])).toBe('vllm');
    expect(classifyContainer(pod(), c('web'), ['nginx', '-g', 'daemon off;'])).toBe('generic');
  });

  it('reads vLLM flags as vLLM does', () => {
    expect(parseVllmArgs(commandWords(['vllm', 'serve', 'org/model', '--port=8005', '--served-model-name', 'a', 'b', '--enable-sleep-mode', '--max-model-len', '4096', '--gpu-memory-utilization', '0.8', '--tensor-parallel-size', '2']))).toEqual({
      model: 'org/model',
      servedModelNames: ['a', 'b'],
      port: 8005,
      enableSleepMode: true,
      maxModelLen: 4096,
      gpuMemoryUtilization: 0.8,
      tensorParallelSize: 2,
    });
    const launcherOptions = parseVllmArgs(commandWords(['--model Qwen/Qwen3-0.6B --port 8006']));
    expect(launcherOptions).toMatchObject({ model: 'Qwen/Qwen3-0.6B', servedModelNames: ['Qwen/Qwen3-0.6B'], port: 8006, enableSleepMode: false, gpuMemoryUtilization: 0.9 });
    expect(parseVllmArgs(['python', '-m', 'vllm.entrypoints.openai.api_server']).port).toBe(8000);
  });

  it('splits shell scripts with quotes and continuations', () => {
    expect(shellSplit(`python3 launcher.py \\\n --a "x y" --b='q' && echo "say \\"hi\\""`)).toEqual(['python3', 'launcher.py', '--a', 'x y', '--b=q', 'echo', 'say "hi"']);
  });

  it('resolves env (values, downward API, $(VAR)) and GPU requests like the kubelet', () => {
    const p = pod({ labels: { tier: 'gold' } });
    const env = containerEnv(p, { name: 'c', env: [{ name: 'A', value: 'a' }, { name: 'B', value: '$(A)-$(NOPE)-$$(A)' }, { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'T', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } }] }, '127.1.0.9', '127.3.0.1');
    expect(env).toEqual({ A: 'a', B: 'a-$(NOPE)-$(A)', NODE: '', IP: '127.1.0.9', T: 'gold' });
    expect(expandVars('--node=$(NODE_NAME)', { NODE_NAME: 'n1' })).toBe('--node=n1');
    const gpuPod = { ...p, spec: { containers: [{ name: 'a', resources: { limits: { 'nvidia.com/gpu': '2' } } }, { name: 'b', resources: { limits: { 'nvidia.com/gpu': 1 } } }], initContainers: [{ name: 'i', resources: { limits: { 'nvidia.com/gpu': '4' } } }] } };
    expect(podGpuRequest(viewPod(gpuPod))).toBe(4);
  });

  it('maps CUDA_VISIBLE_DEVICES onto the GPUs the container sees', () => {
    const node = [0, 1, 2, 3].map((index) => ({ uuid: `GPU-${index}`, index }));
    expect(cudaDevices(node, [node[2]!], {})).toEqual([node[2]]);
    expect(cudaDevices(node, [node[2]!, node[3]!], { CUDA_VISIBLE_DEVICES: '1' })).toEqual([node[3]]);
    // A direct provider: no allocation, the controller sets node indices.
    expect(cudaDevices(node, [], { CUDA_VISIBLE_DEVICES: '3,1' })).toEqual([node[3], node[1]]);
    expect(cudaDevices(node, [], { NVIDIA_VISIBLE_DEVICES: 'all', CUDA_VISIBLE_DEVICES: 'GPU-2' })).toEqual([node[2]]);
    expect(cudaDevices(node, [], {})).toEqual([]);
    expect(cudaDevices(node, [], { CUDA_VISIBLE_DEVICES: '0,9,1' })).toEqual([node[0]]);
  });

  it('signs launcher states byte for byte like launcher_pod_notifier.py', () => {
    // Known answer computed with the notifier's own canonicalize + json.dumps(sort_keys, separators) + sha256.
    const state = { revision: 3, total_instances: 2, running_instances: 1, instances: [{ instance_id: 'b', status: 'stopped' }, { instance_id: 'a', status: 'running' }] };
    expect(instanceSignature(state)).toBe('8638f6d0048ad791a98bafc95b2724c78e9041e08ba8120dcf93677ca7e842d7');
  });
});
