import { describe, expect, test } from 'vitest';
import { loadConfigFile } from '../../lib/config/load-file.ts';
import { ScenarioFileSchema } from '../../lib/config/schema/scenario.ts';
import { TargetsFileSchema } from '../../lib/config/schema/targets-file.ts';
import { configErrorOf as errorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

const loadTargets = (cwd: string, file = 'targets.yaml', env: Record<string, string> = {}) =>
  loadConfigFile(file, TargetsFileSchema, { env, cwd });

describe('reading and parsing', () => {
  test('a missing file is one line naming it', () => {
    const dir = tempDir();
    expect(errorOf(() => loadTargets(dir.path))).toBe('targets.yaml: file not found');
  });

  test('a directory instead of a file', () => {
    const dir = tempDir();
    dir.write('targets.yaml/inner.yaml', 'x: 1\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe('targets.yaml: is a directory, not a file');
  });

  test('files are named relative to cwd, or absolute outside it', () => {
    const dir = tempDir();
    const other = tempDir();
    const abs = other.write('t.yaml', '');
    expect(errorOf(() => loadTargets(dir.path, 'conf/targets.yaml'))).toBe('conf/targets.yaml: file not found');
    expect(errorOf(() => loadTargets(dir.path, abs))).toBe(`${abs}: file is empty`);
  });

  test('a YAML syntax error gives file:line:column and the parser reason', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets:\n  - name: a\n    base_url: http://x\n    name: b\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe('targets.yaml:4:5: invalid YAML: Map keys must be unique');
    dir.write('targets.yaml', 'targets: [a, b\ndefault: a\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe(
      'targets.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
  });

  test('an empty file', () => {
    const dir = tempDir();
    dir.write('targets.yaml', '# only a comment\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe('targets.yaml: file is empty');
  });

  test('an alias to an undefined anchor', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets: *nowhere\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe(
      'targets.yaml:1:10: invalid YAML: alias *nowhere has no anchor &nowhere before it',
    );
  });
});

describe('validation messages', () => {
  test('an unknown key says which and suggests the closest known key, without a second "required" error', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets:\n  - name: a\n    base_url: http://x\n  - name: b\n    base_ur: http://y\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe(
      'targets.yaml: targets[1]: unknown key "base_ur" (did you mean "base_url"?)',
    );
  });

  test('an unknown key with nothing close gets no suggestion', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets:\n  - name: a\n    base_url: http://x\n    colour: blue\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe('targets.yaml: targets[0]: unknown key "colour"');
  });

  test('a wrong type names the expected and the given value', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets:\n  - name: a\n    base_url: http://x\n    max_tokens: lots\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe(
      'targets.yaml: targets[0].max_tokens: expected a number, got "lots"',
    );
  });

  test('a missing field is "required"', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets:\n  - base_url: http://x\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe('targets.yaml: targets[0].name: required');
  });

  test('a bad enum value lists the choices and suggests one', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets:\n  - name: a\n    base_url: http://x\n    api: chatt\n');
    expect(errorOf(() => loadTargets(dir.path))).toBe(
      'targets.yaml: targets[0].api: expected one of "completions", "chat", got "chatt" (did you mean "chat"?)',
    );
  });

  test('several issues: the first in full, then how many more and where', () => {
    const dir = tempDir();
    dir.write(
      'scenarios.yaml',
      [
        'scenarios:',
        '  quick_validation:',
        '    num_requests: 0',
        '    load: { type: concurrency, concurrency: 1.5 }',
        '    data: { type: synthetic, prompt_tokens: 10, max_tokens: 10, sed: 1 }',
      ].join('\n'),
    );
    const message = errorOf(() => loadConfigFile('scenarios.yaml', ScenarioFileSchema, { env: {}, cwd: dir.path }));
    expect(message).toBe(
      'scenarios.yaml: scenarios.quick_validation.num_requests: expected an integer >= 1, got 0 ' +
        '(and 2 more: scenarios.quick_validation.load.concurrency, scenarios.quick_validation.data)',
    );
  });

  test('an unset variable names file, path and variable', () => {
    const dir = tempDir();
    dir.write(
      'targets.yaml',
      'targets:\n  - name: a\n    base_url: http://x\n    headers:\n      Authorization: Bearer ${API_TOKEN}\n',
    );
    expect(errorOf(() => loadTargets(dir.path))).toBe(
      'targets.yaml: targets[0].headers.Authorization: environment variable API_TOKEN is not set',
    );
  });

  test('a value from a secret-looking variable is never echoed in an error', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets:\n  - name: a\n    base_url: http://x\n    api: ${API_TOKEN}\n');
    const token = 'tok-abcdefghijklmnopqrstuvwxyz-0123456789-abcdefghij';
    const message = errorOf(() => loadTargets(dir.path, 'targets.yaml', { API_TOKEN: token }));
    expect(message).toBe('targets.yaml: targets[0].api: expected one of "completions", "chat", got "***"');
    expect(message).not.toContain(token.slice(0, 8));
  });

  test('a valid file loads with defaults filled in and reports its secrets', () => {
    const dir = tempDir();
    dir.write(
      'targets.yaml',
      'targets:\n  - name: a\n    base_url: ${URL:-http://localhost:8000}\n    headers: { X-Key: "${GATEWAY_KEY}" }\n',
    );
    const loaded = loadTargets(dir.path, 'targets.yaml', { GATEWAY_KEY: 'gw-secret-1' });
    expect(loaded.source).toBe('targets.yaml');
    expect(loaded.secrets).toEqual(['gw-secret-1']);
    expect(loaded.value.targets[0]).toMatchObject({
      name: 'a',
      base_url: 'http://localhost:8000',
      api: 'completions',
      backend: 'vllm',
      api_key_env: 'OPENAI_API_KEY',
      tokenizer: 'auto',
      headers: { 'X-Key': 'gw-secret-1' },
    });
  });
});
