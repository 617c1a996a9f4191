/*
 * A hostile server's `usage`, over loopback: a node:http server streams five content chunks and
 * then reports whatever usage the test sets. A count that cannot be true (more completion tokens
 * than max_tokens, a negative or fractional count, none for a non-empty output) fails the request
 * as `impossible_usage` with the reason; a count the model's own tokenizer disagrees with beyond
 * max(2 tokens, 10%) is replaced by the tokenizer's, per request in requests.jsonl and in the
 * report's token-source line; a smaller disagreement keeps the server's count and is only counted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestReport } from '../../lib/report/model.ts';
import { renderTest } from '../../lib/render/summary.ts';
import { renderTable } from '../../lib/render/table.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import { BenchResult } from '../../lib/scenario/bench-result.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { resolveAssertedSlo, resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import '../../lib/vitest/meta.ts';
import { toMeetSLO } from '../../lib/vitest/matchers.ts';
import { httpServer, MODEL } from '../http/drive.ts';
import { runOn, simTarget } from './sim-target.ts';

const WORDS = [' The', ' sea', ' is', ' calm', ' today.'];
const MAX_TOKENS = 16;
/** The usage the server reports for a request, from its max_tokens. */
let usageOf: (maxTokens: number) => unknown = () => null;

let server: Awaited<ReturnType<typeof httpServer>>;
let dir: string;
const SLO = resolveScenarioSlo({ profile: 'mlperf-standard', min_success_rate: 0.95, max_schedule_lag_p99_ms: 50 }, {}, 't.yaml');
const scenario: ScenarioInput = {
  stream: true, num_requests: 4, warmup_requests: 0, load: { type: 'concurrency', concurrency: 1 },
  data: { type: 'synthetic', prompt_tokens: [16], max_tokens: [MAX_TOKENS], tokenizer: 'qwen3' },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-usage-'));
  server = await httpServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model' }] }));
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { max_tokens: maxTokens } = JSON.parse(body) as { max_tokens: number };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (o: unknown): string => `data: ${JSON.stringify(o)}\n\n`;
      let k = 0;
      const next = (): void => {
        if (k < WORDS.length) {
          const last = k === WORDS.length - 1;
          res.write(chunk({ id: 'c', object: 'text_completion', created: 0, model: MODEL, choices: [{ index: 0, text: WORDS[k], logprobs: null, finish_reason: last ? 'length' : null }] }));
          k++;
          setTimeout(next, 2);
          return;
        }
        res.write(chunk({ id: 'c', object: 'text_completion', created: 0, model: MODEL, choices: [], usage: usageOf(maxTokens) }));
        res.end('data: [DONE]\n\n');
      };
      next();
    });
  });
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Line { scenario: string; tokenizer_output_tokens: number | null; error: { class: string; message: string } | null; metrics: Record<string, unknown> }

async function run(name: string): Promise<{ report: TestReport; lines: Line[] }> {
  const file = join(dir, `${name}.jsonl`);
  const requests = new RequestsFile(file);
  const report = await runOn('usage', dir, requests, name, simTarget(server.url, 'qwen3'), scenario, SLO);
  requests.close();
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  return { report, lines };
}

const verdict = (report: TestReport): ReturnType<typeof toMeetSLO> =>
  toMeetSLO(new BenchResult(report, (spec) => resolveAssertedSlo(spec, SLO, {}, 't.yaml')));
const table = (report: TestReport): string => renderTable(report).replace(/\n +/g, ' ');

describe('server usage that cannot be true fails the request as impossible_usage', () => {
  test('1,000,000 completion tokens for 5 chunks asked for 16: not TPOT 0 and a pass, but failures naming why', async () => {
    usageOf = () => ({ prompt_tokens: 16, completion_tokens: 1_000_000, total_tokens: 1_000_016 });
    const { report, lines } = await run('million');
    expect(report.stats.requests).toMatchObject({ total: 4, successful: 0 });
    expect(report.stats.errors).toEqual({ impossible_usage: { count: 4, example: `server usage.completion_tokens 1000000 > max_tokens ${MAX_TOKENS} requested` } });
    expect(report.stats.latency.tpot.count).toBe(0);
    expect(lines.every((l) => l.error?.class === 'impossible_usage')).toBe(true);
    const out = verdict(report);
    expect(out.pass).toBe(false);
    expect(out.message()).toContain(`failures: impossible_usage x4 (server usage.completion_tokens 1000000 > max_tokens ${MAX_TOKENS} requested)`);
    expect(table(report)).toContain('failures: impossible_usage x4');
  });

  test('a negative, a fractional count, none for a non-empty output, more cached than prompt tokens', async () => {
    const cases: Array<[unknown, string]> = [
      [{ prompt_tokens: 16, completion_tokens: -3 }, 'server usage.completion_tokens is -3: not a token count'],
      [{ prompt_tokens: 16, completion_tokens: 2.5 }, 'server usage.completion_tokens is 2.5: not a token count'],
      [{ prompt_tokens: -1, completion_tokens: 5 }, 'server usage.prompt_tokens is -1: not a token count'],
      [{ prompt_tokens: 16, completion_tokens: 0 }, `server usage.completion_tokens is 0 for ${WORDS.join('').length} characters of output`],
      [{ prompt_tokens: 16, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 17 } }, 'server usage.prompt_tokens_details.cached_tokens 17 > prompt_tokens 16'],
    ];
    for (const [k, [usage, why]] of cases.entries()) {
      usageOf = () => usage;
      const { report } = await run(`bad-${k}`);
      expect([why, report.stats.errors.impossible_usage]).toEqual([why, { count: 4, example: why }]);
      // Nothing negative or fractional reaches a statistic.
      expect(report.stats.throughput.outputTokensPerS ?? 0).toBeGreaterThanOrEqual(0);
      expect(report.stats.tokens.output.count).toBe(0);
    }
  });
});

describe('server usage the tokenizer disagrees with', () => {
  test('beyond max(2 tokens, 10%): the tokenizer count is used and said to be, per request and in the report', async () => {
    usageOf = (maxTokens) => ({ prompt_tokens: 16, completion_tokens: maxTokens });
    const { report, lines } = await run('overcount');
    const t = lines[0]!.tokenizer_output_tokens!;
    expect(t).toBeGreaterThanOrEqual(5);
    expect(t).toBeLessThan(MAX_TOKENS - 2);
    expect(report.stats.requests.successful).toBe(4);
    expect(report.stats.tokens).toMatchObject({ outputSource: { server: 0, tokenizer: 4, unknown: 0 }, checked: 4, mismatches: 4, usageOverruled: 4 });
    expect(report.stats.tokens.output.max).toBe(t);
    for (const l of lines) {
      expect(l.metrics).toMatchObject({
        output_tokens: t,
        output_tokens_source: 'tokenizer',
        output_tokens_note: `server usage.completion_tokens ${MAX_TOKENS} disagrees with the tokenizer's ${t} by more than max(2 tokens, 10%): the tokenizer's count is used`,
      });
    }
    expect(table(report)).toContain(
      'output tokens from: server usage 0, tokenizer 4 (4 instead of server usage that disagreed by more than max(2 tokens, 10%)), unknown 0; qwen3 tokenizer disagrees on 4 of 4 checked',
    );
    expect(table(report)).toContain(`realized fixed ${t} (client tokenizer (server usage overruled))`);
    expect(renderTest(report, 'passed')).toMatchObject({ results: { tokens: { server_usage_overruled: 4 } } });
  });

  test('within the tolerance: the server count stands, and the difference is counted', async () => {
    let t = 0;
    usageOf = () => ({ prompt_tokens: 16, completion_tokens: t + 2 });
    // The tokenizer's count of the five words, from a first run.
    const first = await run('probe');
    t = first.lines[0]!.tokenizer_output_tokens!;
    const { report, lines } = await run('near');
    expect(report.stats.tokens).toMatchObject({ outputSource: { server: 4, tokenizer: 0, unknown: 0 }, checked: 4, mismatches: 4, usageOverruled: 0 });
    expect(lines[0]!.metrics).toMatchObject({ output_tokens: t + 2, output_tokens_source: 'server' });
    expect(lines[0]!.metrics).not.toHaveProperty('output_tokens_note');
  });
});
