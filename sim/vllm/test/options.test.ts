import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors/index.ts';
import { parseSimArgs, simFlagNames, simHelp } from '../cli-options.ts';
import { fieldInfo } from '../../../lib/config/schema/sim-option-types.ts';
import { applyConfigPatch, SIM_PROFILES, SimConfigPatchSchema, SimOptionsBaseSchema, SimOptionsSchema } from '../options.ts';
import { tempDir } from './sim-client.ts';

function argError(argv: string[]): string {
  try {
    parseSimArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('SimOptionsSchema', () => {
  it('fills every latency field from the default profile', () => {
    const o = SimOptionsSchema.parse({});
    expect(o.profile).toBe('small-h100');
    expect(o).toMatchObject(SIM_PROFILES['small-h100']);
    expect(o).toMatchObject({ host: '127.0.0.1', port: 0, models: ['Qwen/Qwen3-0.6B'], tokenizer: 'qwen3', max_model_len: 32768, time_scale: 1, chunk_log: null });
    expect(o.faults).toEqual({ error_rate: 0, error_statuses: [500, 503, 429], stall_rate: 0, stall_after_tokens: 1, cut_rate: 0, cut_after_tokens: 1, malformed_rate: 0, malformed_after_tokens: 1 });
  });

  it('lets explicit fields override the chosen profile', () => {
    const o = SimOptionsSchema.parse({ profile: 'llama-8b-h100', itl_ms: 7 });
    expect(o.itl_ms).toBe(7);
    expect(o.prefill_per_token_ms).toBe(0.25);
    expect(o.itl_std_ms).toBe(2);
  });

  it('rejects unknown keys, also inside faults', () => {
    expect(SimOptionsSchema.safeParse({ itl: 3 }).success).toBe(false);
    expect(SimOptionsSchema.safeParse({ faults: { error_rat: 0.1 } }).success).toBe(false);
  });

  it('describes every field with its default value', () => {
    const shapes = [SimOptionsBaseSchema.shape, SimOptionsBaseSchema.shape.faults.unwrap().shape] as const;
    for (const shape of shapes) {
      for (const [key, field] of Object.entries(shape)) {
        const d = fieldInfo(field as never).description;
        expect(d, key).toMatch(/Default: /);
        const def = (field as { def: { type: string; defaultValue?: unknown } }).def;
        if (def.type === 'default' && typeof def.defaultValue !== 'object') expect(d, key).toContain(`Default: ${String(def.defaultValue)}`);
      }
    }
  });
});

describe('parseSimArgs', () => {
  it('maps kebab-case and dotted flags to options', () => {
    const { options, help } = parseSimArgs(['--port', '8000', '--itl-ms', '150', '--models', 'a,b', '--faults.error-rate', '0.1', '--no-prefix-caching', '--tokenizer=words', '--chunk-log', 'x.jsonl']);
    expect(help).toBe(false);
    expect(options).toMatchObject({ port: 8000, itl_ms: 150, models: ['a', 'b'], prefix_caching: false, tokenizer: 'words', chunk_log: 'x.jsonl' });
    expect(options.faults.error_rate).toBe(0.1);
    expect(parseSimArgs(['--prefix-caching', 'false']).options.prefix_caching).toBe(false);
    expect(parseSimArgs(['--prefix-caching', '--port', '1']).options.prefix_caching).toBe(true);
    expect(parseSimArgs(['--faults.error-statuses', '500,502']).options.faults.error_statuses).toEqual([500, 502]);
    expect(parseSimArgs(['-h']).help).toBe(true);
  });

  it('names the flag, the expectation and the raw value in one line', () => {
    expect(argError(['--itl-ms', 'abc'])).toBe('sim: --itl-ms: expected a non-negative number, got "abc"');
    expect(argError(['--itl-ms', '-1'])).toBe('sim: --itl-ms: expected a non-negative number, got "-1"');
    expect(argError(['--port', '70000'])).toBe('sim: --port: expected an integer port between 0 and 65535, got "70000"');
    expect(argError(['--faults.error-rate', '2'])).toBe('sim: --faults.error-rate: expected a number between 0 and 1, got "2"');
    expect(argError(['--faults.error-statuses', '500,200'])).toBe('sim: --faults.error-statuses: expected HTTP error statuses between 400 and 599, got "500,200"');
    expect(argError(['--profile', 'big'])).toBe('sim: --profile: expected one of small-h100, llama-8b-h100, test-fast, got "big"');
    expect(argError(['--max-num-seqs', '1.5'])).toBe('sim: --max-num-seqs: expected a positive integer, got "1.5"');
    expect(argError(['--port'])).toBe('sim: --port: expected a value');
  });

  it('rejects unknown flags with a suggestion', () => {
    expect(argError(['--itl-mss', '3'])).toBe('sim: --itl-mss: unknown option (did you mean --itl-ms?)');
    expect(argError(['--faults.eror-rate', '3'])).toBe('sim: --faults.eror-rate: unknown option (did you mean --faults.error-rate?)');
    expect(argError(['--zzzzzzzz', '3'])).toBe('sim: --zzzzzzzz: unknown option');
    expect(argError(['serve'])).toBe('sim: serve: unexpected argument (options start with --)');
  });

  it('merges a YAML or JSON config file under the flags, and names the file on its errors', () => {
    const dir = tempDir();
    const yaml = join(dir, 'sim.yaml');
    writeFileSync(yaml, 'profile: llama-8b-h100\nitl_ms: 20\nfaults:\n  cut_rate: 0.5\n');
    const { options } = parseSimArgs(['--config', yaml, '--itl-ms', '30', '--faults.stall-rate', '0.1']);
    expect(options).toMatchObject({ profile: 'llama-8b-h100', itl_ms: 30, prefill_overhead_ms: 30 });
    expect(options.faults).toMatchObject({ cut_rate: 0.5, stall_rate: 0.1 });
    const json = join(dir, 'sim.json');
    writeFileSync(json, JSON.stringify({ itl_ms: 'fast' }));
    expect(argError(['--config', json])).toBe(`${json}: itl_ms: expected a non-negative number, got "fast"`);
    writeFileSync(json, JSON.stringify({ faults: { cut_rat: 1 } }));
    expect(argError(['--config', json])).toBe(`${json}: faults.cut_rat: unknown key (did you mean cut_rate?)`);
    expect(argError(['--config', join(dir, 'missing.yaml')])).toBe(`${join(dir, 'missing.yaml')}: cannot read the file (ENOENT)`);
  });

  it('documents every flag in --help', () => {
    const help = simHelp();
    for (const name of simFlagNames()) expect(help).toContain(`--${name} `);
    expect(help).toContain('--faults.cut-after-tokens');
    expect(help).toContain('Default: 16384.');
    expect(help).toContain('SIMULATOR');
  });
});

describe('SimConfigPatchSchema', () => {
  it('accepts latency and fault changes and merges faults field by field', () => {
    const base = SimOptionsSchema.parse({ faults: { cut_rate: 0.2 } });
    const patch = SimConfigPatchSchema.parse({ itl_ms: 9, faults: { stall_rate: 0.3 } });
    const next = applyConfigPatch(base, patch);
    expect(next.itl_ms).toBe(9);
    expect(next.faults).toMatchObject({ cut_rate: 0.2, stall_rate: 0.3 });
    expect(base.itl_ms).toBe(4);
  });

  it('rejects fixed options and bad values', () => {
    expect(SimConfigPatchSchema.safeParse({ max_num_seqs: 4 }).success).toBe(false);
    expect(SimConfigPatchSchema.safeParse({ port: 4 }).success).toBe(false);
    expect(SimConfigPatchSchema.safeParse({ faults: { error_rate: 3 } }).success).toBe(false);
  });
});
