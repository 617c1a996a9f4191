/**
 * What a well-lit-path config cannot do here is named, never dropped: every unsupported or unknown
 * key by its full path, all in one error; keys without effect listed for the report; secrets
 * never shown. The table of docs/configs-you-have.md and the key policy say the same.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { KEY_RULES, loadWellLitConfig, prepareWellLitRun } from '../../lib/config/well-lit/index.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

const KEY = 'sk-live-DO-NOT-LEAK-7f3a9c';
const HF = 'hf_DO_NOT_LEAK_token_91c2';

function load(yaml: string, env: Record<string, string> = {}) {
  const dir = tempDir();
  dir.write('config.yaml', yaml);
  return loadWellLitConfig('config.yaml', { cwd: dir.path, env });
}

const EVERYTHING_UNSUPPORTED = `
endpoint:
  model: &model Qwen/Qwen3-0.6B
  base_url: &url http://gw.llm-d.svc:80
  bas_url: http://typo
harness: { name: inference-perf, dataset_url: https://example.com/d.json, dataset_path: /workspace/d.json }
env:
  - name: FROM_SECRET
    valueFrom: { secretKeyRef: { name: s, key: k } }
workload:
  chatbot:
    load:
      type: poisson
      num_workers: 4
      worker_max_concurrency: 10
      worker_max_tcp_connections: 100
      sweep: { type: linear }
      circuit_breakers: [c]
      lora_traffic_split: [{ name: a, split: 1 }]
      stages: [{ rate: 1, duration: 10 }]
    api: { type: chat, streaming: true, slo_unit: ms, slo_ttft_header: x, slo_tpot_header: y, response_format: { type: json_object } }
    server: { model_name: *model, base_url: *url, cert_path: /c, key_path: /k }
    data:
      type: random
      use_chat_template: true
      visionarena: {}
      input_distribution: { skew: 1 }
      output_distribution: { skew: 2 }
    report: { goodput: { constraints: { ttft: 1 } } }
    circuit_breakers: []
    strage: {}
  prefix:
    load: { type: constant, stages: [{ rate: 1, duration: 1 }] }
    data:
      type: shared_prefix
      multimodal: {}
      shared_prefix: { question_distribution: {}, output_distribution: {}, multimodal: {} }
`;

describe('unsupported keys', () => {
  test('every rejected key of the policy, and every unknown key, is named by its full path in one ConfigError', () => {
    let err: unknown;
    try {
      load(EVERYTHING_UNSUPPORTED);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    const lines = msg.split('\n').slice(1).map((l) => l.trim());
    expect(msg.split('\n')[0]).toBe(`config.yaml: ${lines.length} problems (nothing was run):`);
    // Multimodal keys are named together, one line for the feature (below).
    const later = /\.(visionarena|multimodal)$/;
    const rejected = KEY_RULES.filter((r) => r.status === 'rejected' && !later.test(r.path));
    for (const rule of rejected) {
      const path = rule.path.replace('*', rule.path.includes('shared_prefix') || rule.path.endsWith('data.multimodal') ? 'prefix' : 'chatbot').replace('[]', '[0]');
      expect(lines, rule.path).toContain(`${path}: not supported (${rule.reason})`);
    }
    expect(lines).toContain('endpoint.bas_url: unknown key (did you mean "base_url"?)');
    expect(lines).toContain('workload.chatbot.strage: unknown key (did you mean "storage"?)');
    const NOT_YET = 'is not run yet: a later version of vitest-llm-d runs it; until then this workload cannot run here';
    expect(lines).toContain(`workload.chatbot: multimodal prompts (data.visionarena) ${NOT_YET}`);
    expect(lines).toContain(`workload.prefix: multimodal prompts (data.multimodal, data.shared_prefix.multimodal) ${NOT_YET}`);
  });

  test('known but unsupported values are named with their reason, unknown ones with the choices', () => {
    const msg = configErrorOf(() =>
      load('workload:\n  w:\n    load: { type: constant, stages: [{ rate: 1, duration: 1 }], request_retries: 2 }\n    api: { type: anthropic_messages }\n    server: { type: mock, base_url: http://gw:80 }\n    data: { type: synthetic }\n'),
    );
    expect(msg).toContain('workload.w.load.request_retries: retries are not supported (a failed request counts as failed): set 0 or leave it out');
    expect(msg).toContain('workload.w.api.type: "anthropic_messages": not supported (only the OpenAI APIs are supported)');
    expect(msg).toContain('workload.w.server.type: "mock": not supported');
    expect(msg).toContain('workload.w.data.type: "synthetic": not supported');
    expect(configErrorOf(() => load('workload:\n  w:\n    load: { type: constnat, stages: [{ rate: 1, duration: 1 }] }\n    data: { type: shareGPT, path: d.jsonl }\n'))).toBe(
      'config.yaml: workload.w.load.type: expected one of "constant", "poisson", "concurrent", "trace_replay", "trace_session_replay", got "constnat" (did you mean "constant"?)',
    );
  });

  test('one problem is one line: file, path, reason', () => {
    expect(configErrorOf(() => load('workload:\n  w:\n    load: { sweep: { type: linear }, stages: [{ rate: 1, duration: 1 }] }\n    data: { type: shareGPT, path: d.jsonl }\n'))).toBe(
      "config.yaml: workload.w.load.sweep: not supported (inference-perf's automatic rate sweep is not supported: list the stages, or use a sweep or search load in a scenario file)",
    );
  });
});

describe('the key policy and docs/configs-you-have.md agree', () => {
  const section = readFileSync(fileURLToPath(new URL('../../docs/configs-you-have.md', import.meta.url)), 'utf8');

  test.each(KEY_RULES.map((r) => [r.path, r.status] as const))('%s (%s) is in the docs table', (path, status) => {
    const row = section.split('\n').find((l) => l.startsWith('|') && l.includes(`\`${path}\``));
    expect(row, path).toBeDefined();
    expect(row).toContain(status === 'ignored' ? 'accepted, no effect' : 'rejected');
  });
});

describe('secrets', () => {
  const withSecrets = `
env:
  - { name: HF_TOKEN, value: ${HF} }
workload:
  w:
    load: { stages: [{ rate: 1, duration: 1 }] }
    server: { base_url: http://gw:80, api_key: ${KEY} }
    tokenizer: { pretrained_model_name_or_path: m, token: ${HF} }
    data: { type: shareGPT, path: d.jsonl }
`;

  test('the API key and tokens never appear in an error message, even when echoed back', () => {
    const msg = configErrorOf(() => load(`${withSecrets}\n  x:\n    load: { stages: [{ rate: 1, duration: 1 }] }\n    server: { type: ${KEY}, base_url: http://gw:80, api_key: ${KEY} }\n    api: { type: ${HF} }\n    data: { type: shareGPT, path: d.jsonl }\n`));
    expect(msg).toContain('workload.x.server.type: expected one of "vllm", "sglang", "tgi", got "***"');
    expect(msg).not.toContain(KEY);
    expect(msg).not.toContain(HF);
    const differ = configErrorOf(() => load(`${withSecrets}\n  x:\n    load: { stages: [{ rate: 1, duration: 1 }] }\n    server: { base_url: http://gw:80, api_key: other-${KEY} }\n    data: { type: shareGPT, path: d.jsonl }\n`));
    expect(differ).toBe('config.yaml: workload.x.server.api_key: differs from workload.w.server.api_key: one config runs against one endpoint');
  });

  test('the key is kept for the target but never in what the report gets; secret-looking env values and tokens are redacted', () => {
    const c = load(withSecrets);
    expect(c.endpoint.apiKey).toBe(KEY);
    expect(c.secrets).toEqual(expect.arrayContaining([KEY, HF]));
    const run = prepareWellLitRun(c, {});
    expect(run.envToSet).toEqual({ HF_TOKEN: HF });
    const report = JSON.stringify({ notes: run.notesFor('w'), file: run.file.config, overrides: run.file.overrides, ignored: c.ignored, scenarios: c.scenarios });
    expect(report).not.toContain(KEY);
    expect(report).not.toContain(HF);
    expect(run.notesFor('w')).toEqual(
      expect.arrayContaining([
        { path: 'env.HF_TOKEN', value: '***', source: 'config.yaml env: set for the run' },
        expect.objectContaining({ path: 'workload.w.tokenizer.token', value: '***' }),
      ]),
    );
  });
});
