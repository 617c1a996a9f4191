import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors/index.ts';
import { devModeFromEnv, parseSimArgs, simHelp } from '../cli-options.ts';
import { QWEN3_06B_KV_BYTES_PER_TOKEN, SimOptionsSchema } from '../options.ts';
import { kvCacheGiB } from '../sleep.ts';
import { startSimServer } from '../server.ts';

function argError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseSimArgs(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('lifecycle options', () => {
  it('default to a server that starts at once, without sleep endpoints', () => {
    expect(SimOptionsSchema.parse({})).toMatchObject({
      startup_ms: 0,
      dev_mode: false,
      enable_sleep_mode: false,
      sleep_ms: 200,
      wake_ms: 550,
      level2_wake_factor: 3,
      wake_weights_fraction: 0.9,
      sleeping_requests: 'reject',
      model_memory_gib: 1.11,
      kv_cache_memory_gib: null,
      residual_memory_gib: 0.5,
      log_max_lines: 10000,
    });
  });

  it('reject bad values with one-line reasons', () => {
    const reason = (input: object): string => {
      const r = SimOptionsSchema.safeParse(input);
      expect(r.success).toBe(false);
      return r.error!.issues[0]!.message;
    };
    expect(reason({ startup_ms: -1 })).toBe('expected a non-negative number');
    expect(reason({ level2_wake_factor: 0.5 })).toBe('expected a number >= 1');
    expect(reason({ wake_weights_fraction: 1.5 })).toBe('expected a number between 0 and 1');
    expect(reason({ sleeping_requests: 'queue' })).toBe('expected reject or serve');
    expect(reason({ dev_mode: 'yes' })).toBe('expected true or false');
    expect(reason({ log_max_lines: 0 })).toBe('expected a positive integer');
    expect(reason({ kv_cache_memory_gib: -2 })).toBe('expected a non-negative number');
  });

  it('derive the KV-cache memory from the block count unless it is given', () => {
    const o = SimOptionsSchema.parse({ kv_cache_blocks: 1024, block_size: 16 });
    expect(QWEN3_06B_KV_BYTES_PER_TOKEN).toBe(114688);
    expect(kvCacheGiB(o)).toBeCloseTo((1024 * 16 * 114688) / 1024 ** 3, 12);
    expect(kvCacheGiB(SimOptionsSchema.parse({ kv_cache_memory_gib: 7 }))).toBe(7);
  });

  it('startSimServer throws the option error before starting anything', async () => {
    await expect(startSimServer({ sleeping_requests: 'never' as never }, { deferListen: true })).rejects.toThrow('sim options: sleeping_requests: expected reject or serve, got "never"');
  });
});

describe('CLI flags and VLLM_SERVER_DEV_MODE', () => {
  it('maps the flags', () => {
    const { options } = parseSimArgs(['--startup-ms', '5000', '--dev-mode', '--enable-sleep-mode', '--sleep-ms', '10', '--wake-ms', '20', '--level2-wake-factor', '2', '--sleeping-requests', 'serve', '--model-memory-gib', '15'], {});
    expect(options).toMatchObject({ startup_ms: 5000, dev_mode: true, enable_sleep_mode: true, sleep_ms: 10, wake_ms: 20, level2_wake_factor: 2, sleeping_requests: 'serve', model_memory_gib: 15 });
    expect(parseSimArgs(['--kv-cache-memory-gib', 'null'], {}).options.kv_cache_memory_gib).toBeNull();
  });

  it('takes dev_mode from VLLM_SERVER_DEV_MODE as vLLM reads it, unless a flag sets it', () => {
    expect(parseSimArgs([], {}).options.dev_mode).toBe(false);
    expect(parseSimArgs([], { VLLM_SERVER_DEV_MODE: '1' }).options.dev_mode).toBe(true);
    expect(parseSimArgs([], { VLLM_SERVER_DEV_MODE: '0' }).options.dev_mode).toBe(false);
    expect(parseSimArgs([], { VLLM_SERVER_DEV_MODE: ' 2 ' }).options.dev_mode).toBe(true);
    expect(parseSimArgs(['--no-dev-mode'], { VLLM_SERVER_DEV_MODE: '1' }).options.dev_mode).toBe(false);
    expect(parseSimArgs(['--dev-mode'], { VLLM_SERVER_DEV_MODE: '0' }).options.dev_mode).toBe(true);
    expect(devModeFromEnv({})).toBeUndefined();
  });

  it('names the flag or the variable in one line when a value is wrong', () => {
    expect(argError([], { VLLM_SERVER_DEV_MODE: 'yes' })).toBe('sim: VLLM_SERVER_DEV_MODE: expected an integer (0 or 1), got "yes"');
    expect(argError([], { VLLM_SERVER_DEV_MODE: '' })).toBe('sim: VLLM_SERVER_DEV_MODE: expected an integer (0 or 1), got ""');
    expect(argError(['--sleeping-requests', 'queue'])).toBe('sim: --sleeping-requests: expected reject or serve, got "queue"');
    expect(argError(['--startup-ms', '-5'])).toBe('sim: --startup-ms: expected a non-negative number, got "-5"');
    expect(argError(['--level2-wake-factor', '0.5'])).toBe('sim: --level2-wake-factor: expected a number >= 1, got "0.5"');
    expect(argError(['--wake-ms', 'soon'])).toBe('sim: --wake-ms: expected a non-negative number, got "soon"');
  });

  it('documents every lifecycle flag in --help', () => {
    const help = simHelp();
    for (const flag of ['--startup-ms <number>', '--dev-mode [true|false]', '--enable-sleep-mode [true|false]', '--sleep-ms <number>', '--wake-ms <number>', '--level2-wake-factor <number>', '--wake-weights-fraction <number>', '--sleeping-requests <reject|serve>', '--model-memory-gib <number>', '--kv-cache-memory-gib <number>', '--residual-memory-gib <number>', '--log-max-lines <number>']) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/VLLM_SERVER_DEV_MODE/);
  });
});
