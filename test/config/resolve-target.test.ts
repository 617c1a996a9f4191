import { describe, expect, test } from 'vitest';
import { NOTHING_CONFIGURED, resolveTarget } from '../../lib/config/resolve-target.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

const TARGETS = `
default: local-vllm
targets:
  - name: local-vllm
    base_url: http://localhost:8000
    model: Qwen/Qwen3-8B
    api_key_env: VLLM_API_KEY
    headers: { X-Gateway-Key: "\${GATEWAY_KEY:-none}" }
  - name: openai
    base_url: https://api.openai.com/v1
    model: gpt-4.1-mini
    supported_models: [gpt-4.1-mini, gpt-4.1-nano]
    backend: openai
    api: chat
  - name: fast-sim
    model: sim-model
    simulator: { profile: test-fast }
`;

/** A directory with targets.yaml (when given) and a resolver over it. */
function setup(targetsYaml?: string) {
  const dir = tempDir();
  if (targetsYaml !== undefined) dir.write('targets.yaml', targetsYaml);
  return { dir, resolve: (env: Record<string, string> = {}) => resolveTarget({ cwd: dir.path, env }) };
}

describe('which target', () => {
  test('nothing configured: the embedded simulator with defaults', () => {
    const selection = setup().resolve({ OPENAI_API_KEY: 'sk-should-not-be-used' });
    expect(selection).toMatchObject({ kind: 'simulator', name: 'simulator', simulator: {}, origin: NOTHING_CONFIGURED });
    expect(selection.origin).toBe('nothing configured: embedded simulator');
    expect(selection.apiKey).toBeUndefined();
    expect(selection.secrets).toEqual([]);
  });

  test("the file's default", () => {
    const selection = setup(TARGETS).resolve();
    expect(selection.kind).toBe('endpoint');
    expect(selection.origin).toBe('targets.yaml#local-vllm');
    if (selection.kind === 'endpoint') expect(selection.target.base_url).toBe('http://localhost:8000');
  });

  test("a file's only target when it has no default", () => {
    const selection = setup('targets:\n  - name: solo\n    base_url: http://h:1\n').resolve();
    expect(selection.origin).toBe('targets.yaml#solo');
  });

  test('several targets and no default is an error naming the choices', () => {
    const yaml = 'targets:\n  - { name: a, base_url: "http://a" }\n  - { name: b, base_url: "http://b" }\n';
    expect(configErrorOf(() => setup(yaml).resolve())).toBe(
      'targets.yaml: default: not set and the file has 2 targets: set BENCH_TARGET to one of a, b, simulator, or add default: <name>',
    );
  });

  test('BENCH_TARGET picks a target of the file', () => {
    const selection = setup(TARGETS).resolve({ BENCH_TARGET: 'openai' });
    expect(selection).toMatchObject({ kind: 'endpoint', origin: 'targets.yaml#openai', target: { api: 'chat', backend: 'openai' } });
  });

  test('BENCH_TARGET naming a tuned simulator target gives its settings and the rest of the target', () => {
    const selection = setup(TARGETS).resolve({ BENCH_TARGET: 'fast-sim' });
    expect(selection).toMatchObject({ kind: 'simulator', name: 'fast-sim', simulator: { profile: 'test-fast' } });
    if (selection.kind === 'simulator') expect(selection.target.model).toBe('sim-model');
  });

  test('BENCH_TARGET=simulator works with or without a file', () => {
    expect(setup(TARGETS).resolve({ BENCH_TARGET: 'simulator' })).toMatchObject({
      kind: 'simulator',
      simulator: {},
      origin: 'env BENCH_TARGET=simulator',
    });
    expect(setup().resolve({ BENCH_TARGET: 'simulator' }).kind).toBe('simulator');
  });

  test('an unknown BENCH_TARGET lists the available names and suggests one', () => {
    expect(configErrorOf(() => setup(TARGETS).resolve({ BENCH_TARGET: 'opnai' }))).toBe(
      'env: BENCH_TARGET: unknown target "opnai" in targets.yaml (did you mean "openai"?); available: local-vllm, openai, fast-sim, simulator',
    );
    expect(configErrorOf(() => setup().resolve({ BENCH_TARGET: 'local-vllm' }))).toBe(
      'env: BENCH_TARGET: unknown target "local-vllm" (no targets file: set BENCH_TARGETS_FILE or create targets.yaml); available: simulator',
    );
  });

  test('BENCH_TARGETS_FILE names the file, relative to cwd; a missing one says who named it', () => {
    const { dir, resolve } = setup();
    dir.write('conf/bench-targets.yaml', TARGETS);
    expect(resolve({ BENCH_TARGETS_FILE: 'conf/bench-targets.yaml' }).origin).toBe('conf/bench-targets.yaml#local-vllm');
    expect(configErrorOf(() => resolve({ BENCH_TARGETS_FILE: 'nope.yaml' }))).toBe(
      'nope.yaml: file not found (named by BENCH_TARGETS_FILE)',
    );
  });
});

describe('BENCH_BASE_URL and other overrides', () => {
  test('BENCH_BASE_URL alone is an ad-hoc endpoint named env, ignoring the file default', () => {
    const selection = setup(TARGETS).resolve({ BENCH_BASE_URL: 'http://10.0.0.5:8000' });
    expect(selection).toMatchObject({
      kind: 'endpoint',
      origin: 'env BENCH_BASE_URL',
      target: { name: 'env', base_url: 'http://10.0.0.5:8000', backend: 'vllm', api: 'completions' },
      overrides: [{ path: 'target.base_url', value: 'http://10.0.0.5:8000', source: 'env BENCH_BASE_URL' }],
    });
    if (selection.kind === 'endpoint') expect(selection.target.headers).toBeUndefined();
  });

  test('BENCH_BASE_URL + BENCH_MODEL (+ BENCH_API, BENCH_BACKEND)', () => {
    const selection = setup().resolve({
      BENCH_BASE_URL: 'http://localhost:11434/v1',
      BENCH_MODEL: 'qwen3:0.6b',
      BENCH_BACKEND: 'ollama',
      BENCH_API: 'chat',
    });
    expect(selection).toMatchObject({
      kind: 'endpoint',
      origin: 'env BENCH_BASE_URL + BENCH_MODEL, BENCH_BACKEND, BENCH_API',
      target: { name: 'env', model: 'qwen3:0.6b', backend: 'ollama', api: 'chat' },
    });
    expect(selection.overrides).toEqual([
      { path: 'target.base_url', value: 'http://localhost:11434/v1', source: 'env BENCH_BASE_URL' },
      { path: 'target.model', value: 'qwen3:0.6b', source: 'env BENCH_MODEL' },
      { path: 'target.backend', value: 'ollama', source: 'env BENCH_BACKEND' },
      { path: 'target.api', value: 'chat', source: 'env BENCH_API' },
    ]);
  });

  test('with BENCH_TARGET, BENCH_BASE_URL overrides that target\'s URL and keeps the rest', () => {
    const selection = setup(TARGETS).resolve({ BENCH_TARGET: 'local-vllm', BENCH_BASE_URL: 'http://gpu-2:8000' });
    expect(selection).toMatchObject({
      kind: 'endpoint',
      origin: 'targets.yaml#local-vllm + BENCH_BASE_URL',
      target: { name: 'local-vllm', base_url: 'http://gpu-2:8000', model: 'Qwen/Qwen3-8B' },
    });
  });

  test('BENCH_BASE_URL is checked like base_url, without echoing credentials', () => {
    const message = configErrorOf(() => setup().resolve({ BENCH_BASE_URL: 'http://me:s3cret-pw@h:8000' }));
    expect(message).toBe(
      'env: BENCH_BASE_URL: credentials in the URL are not allowed: put the key in the environment variable named by api_key_env',
    );
    expect(message).not.toContain('s3cret');
  });

  test('BENCH_BASE_URL or BENCH_BACKEND cannot retarget the simulator', () => {
    expect(configErrorOf(() => setup().resolve({ BENCH_TARGET: 'simulator', BENCH_BASE_URL: 'http://h' }))).toBe(
      'env: BENCH_BASE_URL: cannot be used with the embedded simulator target "simulator" (BENCH_TARGET); select an endpoint target or unset BENCH_TARGET',
    );
    expect(configErrorOf(() => setup().resolve({ BENCH_BACKEND: 'sglang' }))).toBe(
      'env: BENCH_BACKEND: does not apply to the embedded simulator, which serves the vLLM API',
    );
  });

  test('bad BENCH_API and BENCH_BACKEND values list the choices', () => {
    expect(configErrorOf(() => setup(TARGETS).resolve({ BENCH_API: 'chatt' }))).toBe(
      'env: BENCH_API: expected one of "completions", "chat", got "chatt" (did you mean "chat"?)',
    );
    expect(configErrorOf(() => setup(TARGETS).resolve({ BENCH_BACKEND: 'vlm' }))).toMatch(
      /^env: BENCH_BACKEND: expected one of "vllm", "llm-d", .* got "vlm" \(did you mean "vllm"\?\)$/,
    );
  });

  test('BENCH_MODEL overrides the model, and must be in supported_models when the target lists them', () => {
    const selection = setup(TARGETS).resolve({ BENCH_TARGET: 'openai', BENCH_MODEL: 'gpt-4.1-nano' });
    expect(selection.origin).toBe('targets.yaml#openai + BENCH_MODEL');
    expect(configErrorOf(() => setup(TARGETS).resolve({ BENCH_TARGET: 'openai', BENCH_MODEL: 'gpt-4.1-nan' }))).toBe(
      'env: BENCH_MODEL: "gpt-4.1-nan" is not in supported_models of target "openai" (did you mean "gpt-4.1-nano"?); supported: gpt-4.1-mini, gpt-4.1-nano',
    );
  });

  test('an empty variable counts as unset', () => {
    expect(setup(TARGETS).resolve({ BENCH_TARGET: '', BENCH_BASE_URL: '', BENCH_MODEL: '' }).origin).toBe(
      'targets.yaml#local-vllm',
    );
  });
});

describe('keys and secrets', () => {
  test('the API key comes from the variable api_key_env names and is a secret', () => {
    const selection = setup(TARGETS).resolve({ VLLM_API_KEY: 'vllm-key-123', OPENAI_API_KEY: 'sk-other' });
    expect(selection.apiKey).toBe('vllm-key-123');
    expect(selection.secrets).toContain('vllm-key-123');
    expect(selection.secrets).not.toContain('sk-other');
  });

  test('no key when the variable is unset; defaults of secret-looking variables are not secrets', () => {
    const selection = setup(TARGETS).resolve({ BENCH_TARGET: 'openai' });
    expect(selection).not.toHaveProperty('apiKey');
    expect(selection.secrets).toEqual([]);
  });

  test("secret-looking substitutions from the file are secrets too", () => {
    const selection = setup(TARGETS).resolve({ GATEWAY_KEY: 'gw-key-456' });
    expect(selection.secrets).toEqual(['gw-key-456']);
    if (selection.kind === 'endpoint') expect(selection.target.headers).toEqual({ 'X-Gateway-Key': 'gw-key-456' });
  });
});
