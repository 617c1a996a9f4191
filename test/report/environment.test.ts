import { describe, expect, test } from 'vitest';
import { describeEnvironment, secretValues } from '../../lib/run-folder/environment.ts';

const TOOL = { name: 'vitest-llm-d', version: '0.1.0', node: process.version };

describe('describeEnvironment', () => {
  test('records the settings, versions and git commit; secrets redacted by name and by value', () => {
    const env = {
      BENCH_NUM_REQUESTS: '4',
      BENCH_BASE_URL: 'https://gw.example/v1?key=tok-9f8e7d6c5b',
      HF_TOKEN: 'hf_abcdefghijkl',
      MY_SERVICE_TOKEN: 'tok-9f8e7d6c5b',
      HOME: '/root',
    };
    const info = describeEnvironment({ tool: TOOL, tests: [], actuation: [], env, argv: ['vitest', 'run', '--token=hf_abcdefghijkl'] });
    expect(info.env).toEqual({ BENCH_BASE_URL: 'https://gw.example/v1?key=***', BENCH_NUM_REQUESTS: '4', HF_TOKEN: '***' });
    expect(info.command).toEqual(['vitest', 'run', '--token=***']);
    expect(JSON.stringify(info)).not.toMatch(/tok-9f8e7d6c5b|hf_abcdefghijkl/);
    expect(info.git?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(info.packages).toMatchObject({ vitest: expect.stringMatching(/^4\./), undici: expect.any(String), '@lenml/tokenizers': expect.any(String) });
    expect(info.host.cpus).toBeGreaterThan(0);
  });

  test('outside a git checkout, git is null rather than an error', () => {
    const info = describeEnvironment({ tool: TOOL, tests: [], actuation: [], env: {}, cwd: '/' });
    expect(info.git).toBeNull();
  });

  test('secretValues: values of secret-looking variables that could be credentials', () => {
    const env = { API_KEY: 'sk-1234abcd', PATH: '/bin', EMPTY_TOKEN: '', AUTH_MODE: 'none', USE_KEYRING: 'true', TOKEN_TTL: '3600000000', SSH_AUTH_SOCK: '/tmp/ssh-XXXX/agent.1', SHORT_KEY: 'abc123' };
    expect(secretValues(env)).toEqual(['sk-1234abcd']);
  });
});
