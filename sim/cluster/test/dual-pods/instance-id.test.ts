import { describe, expect, it } from 'vitest';
import { instanceId, instancePort, modelServerConfigYaml, vllmConfig } from '../../behaviour/dual-pods/instance-id.ts';

const cfg = { port: 8000, options: '--model Qwen/Qwen3-0.6B --enable-sleep-mode', env_vars: { VLLM_SERVER_DEV_MODE: '1', B: 'yes' }, labels: {} };

describe('launcher instance identity (protocol 2.4, configInferenceServer)', () => {
  it('serialises modelServerConfig as sigs.k8s.io/yaml does: sorted keys, empty fields omitted, YAML 1.1 quoting', () => {
    expect(modelServerConfigYaml(cfg)).toBe('env_vars:\n  B: "yes"\n  VLLM_SERVER_DEV_MODE: "1"\noptions: --model Qwen/Qwen3-0.6B --enable-sleep-mode\nport: 8000\n');
  });

  it('is "I" + base64url(SHA-256(yaml ∥ ";gpus=" ∥ uuids)) + "i" (hand-computed with openssl)', () => {
    expect(instanceId(cfg, ['GPU-0', 'GPU-1'])).toBe('IDLRJjJfePwQYxZyHsz3iYrkV4snyr2SRChvLFe-xQyQi');
    expect(instanceId({ port: 8000 }, ['GPU-3'])).toBe('I88wDOgk350HR_9V9l_bNsofLLipIZLo7ckyad_4DOy4i');
  });

  it('differs per GPU set and per config, and is a valid label value', () => {
    const a = instanceId(cfg, ['GPU-0']);
    expect(instanceId(cfg, ['GPU-1'])).not.toBe(a);
    expect(instanceId({ ...cfg, port: 8001 }, ['GPU-0'])).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
  });

  it('builds the VllmConfig: options + --port, uuids, env, isc-name and inference-port annotations', () => {
    expect(vllmConfig('isc-a', cfg, ['GPU-0'])).toEqual({
      options: '--model Qwen/Qwen3-0.6B --enable-sleep-mode --port 8000',
      gpu_uuids: ['GPU-0'],
      env_vars: { VLLM_SERVER_DEV_MODE: '1', B: 'yes' },
      annotations: { 'isc-name': 'isc-a', 'inference-port': '8000' },
    });
  });

  it('reads an instance port from its inference-port annotation', () => {
    expect(instancePort({ 'inference-port': '8005' })).toBe(8005);
    expect(instancePort({ 'inference-port': 'x' })).toBeUndefined();
    expect(instancePort(undefined)).toBeUndefined();
  });
});
