/**
 * Chat prompts are sized to what the server counts: the embedded vLLM simulator renders the
 * chat template around the message (as vLLM does) and reports the total as usage.prompt_tokens,
 * which must equal the configured input length for every request; completions prompts likewise
 * without a template. The simulator and the client count with Qwen3, the model's own tokenizer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getTokenizer } from '../../lib/tokenizer/index.ts';
import { chatTemplateOverhead, renderUserTurn } from '../../lib/tokenizer/chat-template.ts';
import { renderBenchmarkReports } from '../../lib/render/benchmark-report.ts';
import { renderHtml } from '../../lib/render/html-report.ts';
import { renderTest } from '../../lib/render/summary.ts';
import { renderTable } from '../../lib/render/table.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { TestReport } from '../../lib/report/model.ts';
import type { OpenTarget } from '../../lib/scenario/open-target.ts';
import { runScenario, type ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { renderChatML } from '../../sim/vllm/prompt.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
import { resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import { TIMEOUTS } from '../http/drive.ts';
import { simTarget } from '../scenario/sim-target.ts';

const SAMPLE = fileURLToPath(new URL('../../examples/data/sharegpt-sample.jsonl', import.meta.url));

interface Line {
  scenario: string;
  prompt_tokens: number;
  status: number;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
}

let dir: string;
let sim: SimProcess;
let target: OpenTarget;
let requests: RequestsFile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-chat-len-'));
  sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'qwen3' });
  target = simTarget(sim.url, 'qwen3');
  requests = new RequestsFile(join(dir, 'requests.jsonl'));
});

afterAll(async () => {
  requests.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(name: string, api: 'chat' | 'completions', data: ScenarioInput['data'], n = 8): Promise<TestReport> {
  return runScenario({
    suite: 'unit',
    name,
    scenario: { api, stream: true, num_requests: n, warmup_requests: 0, load: { type: 'concurrency', concurrency: 2 }, data },
    target,
    slo: { ...resolveScenarioSlo(undefined, {}, 'test.yaml'), floors: { minSuccessRate: 0.95, maxScheduleLagP99Ms: 50 } },
    timeouts: TIMEOUTS,
    runDir: dir,
    requests,
    overrides: [],
    seedSalt: 'chat-prompt-length',
  });
}

function usageOf(name: string): Array<[number, number]> {
  return readFileSync(join(dir, 'requests.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.scenario === name)
    .map((l) => [l.prompt_tokens, l.usage?.prompt_tokens ?? -1]);
}

describe("the client's chat template is the simulator's", () => {
  test('the same rendering, 8 tokens of Qwen3 around a message that starts and ends with a word', async () => {
    const qwen = await getTokenizer('qwen3');
    expect(renderUserTurn('hi there')).toBe(renderChatML([{ role: 'user', content: 'hi there' }]));
    expect(chatTemplateOverhead(qwen)).toBe(8);
    expect(chatTemplateOverhead(await getTokenizer('words'))).toBe(2);
  });
});

describe('usage.prompt_tokens equals the configured input length on every request', () => {
  for (const api of ['chat', 'completions'] as const) {
    test(`${api}: synthetic at 100 and 500 tokens, random fixed at 300, shared_prefix 200 + 60`, async () => {
      await run(`${api}-synthetic`, api, { type: 'synthetic', prompt_tokens: [100, 500], max_tokens: [4], seed: 5 });
      const synthetic = usageOf(`${api}-synthetic`);
      expect(synthetic).toHaveLength(8);
      expect(synthetic.map(([, server]) => server).sort((a, b) => a - b)).toEqual([100, 100, 100, 100, 500, 500, 500, 500]);
      expect(synthetic.every(([client, server]) => client === server)).toBe(true);

      await run(`${api}-random`, api, { type: 'random', input_distribution: { min: 300, max: 300, mean: 300, std: 0 }, output_distribution: { min: 4, max: 4, mean: 4, std: 0 }, seed: 5 });
      expect(usageOf(`${api}-random`).map(([, server]) => server)).toEqual(Array(8).fill(300));

      const report = await run(`${api}-prefix`, api, { type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 3, system_prompt_len: 200, question_len: 60, output_len: 4, seed: 5 });
      expect(usageOf(`${api}-prefix`).map(([, server]) => server)).toEqual(Array(8).fill(260));
      const said = report.workload.notes.find((n) => n.startsWith('chat prompts sized'));
      expect(said !== undefined).toBe(api === 'chat');
    });
  }

  test('every report states the realized lengths next to the configured ones: table, summary.json, benchmark report', async () => {
    const report = await run('chat-gaussian', 'chat', {
      type: 'random',
      input_distribution: { min: 50, max: 400, mean: 200, std: 100 },
      output_distribution: { min: 3, max: 3, mean: 3, std: 0 },
      seed: 9,
    }, 12);
    const lines = usageOf('chat-gaussian');
    expect(lines.every(([client, server]) => client === server && server >= 50 && server <= 400)).toBe(true);
    const served = lines.map(([, server]) => server);
    const table = renderTable(report).replace(/\s+/g, ' ');
    expect(table).toContain('input tokens: configured gaussian mean 200 sd 100 in 50..400; realized mean ');
    expect(table).toContain(` in ${Math.min(...served)}..${Math.max(...served)} (server usage.prompt_tokens)`);
    expect(table).toContain('output tokens: configured fixed 3; realized fixed 3 (server usage.completion_tokens)');
    const lengths = (renderTest(report, 'pass').results as { tokens: { lengths: Record<string, { configured: unknown; realized: { distribution: string; min: number; max: number }; source: string }> } }).tokens.lengths;
    expect(lengths.input).toMatchObject({ configured: { distribution: 'gaussian', value: 200, std_dev: 100, min: 50, max: 400 }, realized: { distribution: 'other', min: Math.min(...served), max: Math.max(...served) }, source: 'server usage.prompt_tokens' });
    const br = renderBenchmarkReports(report, { stamp: '2026-01-01T00-00-00Z', suite: 'unit', tool: { name: 'vitest-llm-d', version: '0', node: process.version } })[0]!.report as {
      scenario: { load: { standardized: { input_seq_len: { distribution: string; min: number; max: number } }; metadata: { description: string } } };
    };
    expect(br.scenario.load.standardized.input_seq_len).toMatchObject({ distribution: 'other', min: Math.min(...served), max: Math.max(...served) });
    expect(br.scenario.load.metadata.description).toContain('input tokens: configured gaussian mean 200 sd 100 in 50..400; realized mean');
    const tool = { name: 'vitest-llm-d', version: '0', node: process.version };
    const html = renderHtml({ suite: 'unit', stamp: 's', runDir: dir, tool, testFiles: [], tests: [{ report, state: 'passed' }], actuation: [], failed: [], skipped: [], environment: null }, null);
    expect(html).toContain('input length (configured; realized)');
    expect(html).toContain('output length (configured; realized)</th><td>configured fixed 3; realized fixed 3 (server usage.completion_tokens)');
  });

  test("chat: a dataset's text is sent verbatim, and the client's count includes the template, as the server's does", async () => {
    await run('chat-sharegpt', 'chat', { type: 'sharegpt', path: SAMPLE, seed: 2 }, 12);
    const lines = usageOf('chat-sharegpt');
    expect(lines).toHaveLength(12);
    for (const [client, server] of lines) expect(server).toBe(client);
  });
});
