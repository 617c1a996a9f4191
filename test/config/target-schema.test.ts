import { describe, expect, test } from 'vitest';
import { validateConfig } from '../../lib/config/format-issues.ts';
import { TargetSchema } from '../../lib/config/schema/target.ts';
import { TargetsFileSchema } from '../../lib/config/schema/targets-file.ts';
import { resolveTimeouts } from '../../lib/config/schema/timeouts.ts';
import { configErrorOf } from './config-error-of.ts';

const targets = (list: unknown[], extra: Record<string, unknown> = {}) =>
  validateConfig(TargetsFileSchema, { ...extra, targets: list }, { source: 'targets.yaml' });
const errorFor = (target: Record<string, unknown>) => configErrorOf(() => targets([target]));

describe('TargetSchema', () => {
  test('an endpoint with only name and base_url gets every default', () => {
    expect(TargetSchema.parse({ name: 'local', base_url: 'http://localhost:8000' })).toEqual({
      name: 'local',
      base_url: 'http://localhost:8000',
      api_key_env: 'OPENAI_API_KEY',
      api: 'completions',
      backend: 'vllm',
      tokenizer: 'auto',
    });
  });

  test('credentials in the URL are rejected without echoing them', () => {
    const message = errorFor({ name: 'a', base_url: 'https://user:hunter2-pass@gw.example.com/v1' });
    expect(message).toBe(
      'targets.yaml: targets[0].base_url: credentials in the URL are not allowed: put the key in the environment variable named by api_key_env',
    );
    expect(message).not.toContain('hunter2');
  });

  test('base_url must be an http(s) URL without query or fragment', () => {
    expect(errorFor({ name: 'a', base_url: 'localhost:8000' })).toBe(
      'targets.yaml: targets[0].base_url: expected an http:// or https:// URL, got a localhost: URL',
    );
    expect(errorFor({ name: 'a', base_url: 'not a url' })).toBe(
      'targets.yaml: targets[0].base_url: expected an http:// or https:// URL',
    );
    expect(errorFor({ name: 'a', base_url: 'http://h/v1?key=1' })).toBe(
      'targets.yaml: targets[0].base_url: must not have a query string or fragment',
    );
  });

  test('an api_key_env that looks like a key is rejected without echoing it', () => {
    const expected =
      'targets.yaml: targets[0].api_key_env: looks like an API key, not a variable name: ' +
      'put the key in the environment and name the variable here (e.g. OPENAI_API_KEY)';
    const key = 'sk-proj-abcdefghijklmnop';
    const message = errorFor({ name: 'a', base_url: 'http://h', api_key_env: key });
    expect(message).toBe(expected);
    expect(message).not.toContain('abcdefgh');
    expect(errorFor({ name: 'a', base_url: 'http://h', api_key_env: 'A'.repeat(65) })).toBe(expected);
  });

  test('api_key_env must be a variable name', () => {
    expect(errorFor({ name: 'a', base_url: 'http://h', api_key_env: '1KEY' })).toBe(
      'targets.yaml: targets[0].api_key_env: expected an environment variable name (letters, digits, _; not starting with a digit)',
    );
    expect(TargetSchema.parse({ name: 'a', base_url: 'http://h', api_key_env: 'LLM_D_API_KEY' }).api_key_env).toBe(
      'LLM_D_API_KEY',
    );
  });

  test('names are restricted to letters, digits, ".", "_" and "-"', () => {
    expect(errorFor({ name: 'my target', base_url: 'http://h' })).toBe(
      'targets.yaml: targets[0].name: must contain only letters, digits, ".", "_" and "-"',
    );
  });

  test('exactly one of base_url and simulator', () => {
    expect(errorFor({ name: 'a', base_url: 'http://h', simulator: {} })).toBe(
      'targets.yaml: targets[0].simulator: a target has either base_url (a real endpoint) or simulator (the embedded simulator), not both',
    );
    expect(errorFor({ name: 'a' })).toBe(
      'targets.yaml: targets[0].base_url: required (or add a simulator: section to use the embedded simulator)',
    );
    expect(errorFor({ name: 'simulator', base_url: 'http://h' })).toBe(
      'targets.yaml: targets[0].base_url: the name "simulator" is reserved for the embedded simulator; give this endpoint another name',
    );
  });

  test('"simulator" alone, or any name with a simulator section, is the embedded simulator', () => {
    expect(TargetSchema.parse({ name: 'simulator' }).simulator).toBeUndefined();
    const tuned = TargetSchema.parse({ name: 'fast-sim', simulator: { profile: 'test-fast', max_num_seqs: 8 } });
    expect(tuned.simulator).toEqual({ profile: 'test-fast', max_num_seqs: 8 });
  });

  test("the simulator section is checked against the simulator's own options", () => {
    expect(errorFor({ name: 'simulator', simulator: { max_num_seq: 8 } })).toBe(
      'targets.yaml: targets[0].simulator: unknown key "max_num_seq" (did you mean "max_num_seqs"?)',
    );
    expect(errorFor({ name: 'simulator', simulator: { port: 8000 } })).toBe(
      "targets.yaml: targets[0].simulator.port: the fixture chooses the simulator's port; remove it here",
    );
  });

  test('model must be one of supported_models when both are given', () => {
    expect(errorFor({ name: 'a', base_url: 'http://h', model: 'x', supported_models: ['y', 'z'] })).toBe(
      'targets.yaml: targets[0].model: "x" is not in supported_models (y, z)',
    );
  });

  test('headers need valid header names and string values', () => {
    expect(errorFor({ name: 'a', base_url: 'http://h', headers: { 'bad header': 'v' } })).toBe(
      'targets.yaml: targets[0].headers["bad header"]: invalid key: must be a valid HTTP header name',
    );
    expect(errorFor({ name: 'a', base_url: 'http://h', headers: { 'X-Tenant': 42 } })).toBe(
      'targets.yaml: targets[0].headers.X-Tenant: expected a string, got 42',
    );
  });

  test('capabilities and timeouts are strict partial objects', () => {
    expect(errorFor({ name: 'a', base_url: 'http://h', capabilities: { ignore_eoss: true } })).toBe(
      'targets.yaml: targets[0].capabilities: unknown key "ignore_eoss" (did you mean "ignore_eos"?)',
    );
    expect(errorFor({ name: 'a', base_url: 'http://h', timeouts: { idle_s: 0 } })).toBe(
      'targets.yaml: targets[0].timeouts.idle_s: expected a positive number, got 0',
    );
    expect(TargetSchema.parse({ name: 'a', base_url: 'http://h', timeouts: { idle_s: 5 } }).timeouts).toEqual({ idle_s: 5 });
  });
});

describe('resolveTimeouts', () => {
  test('the most specific layer wins per field, defaults fill the rest', () => {
    expect(resolveTimeouts({ idle_s: 5 }, { idle_s: 7, total_s: 100 }, undefined)).toEqual({
      connect_s: 10,
      first_token_s: 60,
      idle_s: 5,
      total_s: 100,
    });
  });
});

describe('TargetsFileSchema', () => {
  const a = { name: 'a', base_url: 'http://a' };

  test('target names are unique', () => {
    expect(configErrorOf(() => targets([a, { name: 'b', base_url: 'http://b' }, a]))).toBe(
      'targets.yaml: targets[2].name: duplicate target name "a" (also targets[0])',
    );
  });

  test('default must name a target (or the simulator)', () => {
    expect(configErrorOf(() => targets([a, { name: 'local-vllm', base_url: 'http://b' }], { default: 'local-vlm' }))).toBe(
      'targets.yaml: default: no target named "local-vlm" (did you mean "local-vllm"?); targets: a, local-vllm, simulator',
    );
    expect(targets([a], { default: 'simulator' }).default).toBe('simulator');
  });

  test('at least one target', () => {
    expect(configErrorOf(() => targets([]))).toBe('targets.yaml: targets: expected at least 1 item');
  });

  test('a misspelt top-level key', () => {
    expect(configErrorOf(() => validateConfig(TargetsFileSchema, { tragets: [a] }, { source: 'targets.yaml' }))).toBe(
      'targets.yaml: unknown key "tragets" (did you mean "targets"?)',
    );
  });
});
