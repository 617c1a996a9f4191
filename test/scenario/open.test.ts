import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveTarget, type TargetSelection } from '../../lib/config/resolve-target.ts';
import { TargetError } from '../../lib/errors/target-error.ts';
import { openTarget } from '../../fixtures/target.ts';
import { timeoutsMs } from '../../lib/scenario/open.ts';
import { httpServer } from '../http/drive.ts';

/** openTarget from a real target selection (resolveTarget over an environment record). */
let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'llmd-open-'));
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

describe('timeoutsMs', () => {
  test('later layers override earlier ones field by field; unset fields fall through to the defaults', () => {
    expect(timeoutsMs()).toEqual({ connect: 10_000, firstToken: 60_000, idle: 30_000, total: 600_000 });
    expect(timeoutsMs({ first_token_s: 5, idle_s: 7 }, { idle_s: 2, total_s: undefined }, undefined)).toEqual({
      connect: 10_000,
      firstToken: 5000,
      idle: 2000,
      total: 600_000,
    });
    expect(timeoutsMs({ connect_s: 0.2 }).connect).toBe(200);
  });
});

describe('openTarget', () => {
  test('the embedded simulator: started, checked, described as a simulator, stopped on close', async () => {
    const sel = resolveTarget({ cwd, env: {} });
    expect(sel.kind).toBe('simulator');
    const fast: TargetSelection = { ...sel, simulator: { profile: 'test-fast', tokenizer: 'words' } } as TargetSelection;
    const t = await openTarget(fast);
    try {
      expect(t.info).toMatchObject({ kind: 'simulator', model: 'Qwen/Qwen3-0.6B', servedModels: ['Qwen/Qwen3-0.6B'], backend: 'vllm', accelerator: 'none (simulated)' });
      expect(t.info.simulator).toMatchObject({ profile: 'test-fast', tokenizer: 'words', itl_ms: 0.5 });
      expect(t.info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(t.caps).toEqual({ ignore_eos: true, include_usage: true, continuous_usage_stats: true, max_tokens_field: 'max_tokens' });
      expect((await t.probe('/health')).status).toBe(200);
    } finally {
      await t.close();
    }
    await expect(t.probe('/health', 500)).rejects.toBeInstanceOf(TargetError);
  });

  test('an endpoint answering 401: one line naming the URL and the env var of the key, never the key', async () => {
    const key = 'sk-open-SECRET-1234';
    const seen: string[] = [];
    const srv = await httpServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(401).end();
    });
    try {
      const sel = resolveTarget({ cwd, env: { BENCH_BASE_URL: `${srv.url}/v1`, OPENAI_API_KEY: key, BENCH_MODEL: 'm' } });
      const err = await openTarget(sel).then(
        () => null,
        (e: unknown) => e as TargetError,
      );
      expect(err).toBeInstanceOf(TargetError);
      expect(err!.code).toBe('TARGET_UNAUTHORIZED');
      expect(err!.message).toBe(`${srv.url}/v1/models: HTTP 401 (check the key in OPENAI_API_KEY)`);
      expect(seen).toEqual([`Bearer ${key}`]);
      expect(JSON.stringify({ m: err!.message, s: err!.stack })).not.toContain(key);
    } finally {
      await srv.close();
    }
  });
});
