/**
 * Trace replay end to end over loopback: `data.type: trace` with `load.type: trace` against the
 * embedded simulator, for every format. Each run's intended send times must be the trace's own
 * timestamps divided by the speed-up (read from the file here, not from the source), its achieved
 * sends within the schedule-lag bound, and a Mooncake replay's server-reported cached tokens must
 * equal what the trace's block reuse predicts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { loadScenarioFile } from '../../lib/config/resolve-scenarios.ts';
import type { TestReport } from '../../lib/report/model.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { spawnSimulator, type SimProcess } from '../../sim/vllm/spawn.ts';
import { runOn, simTarget } from './sim-target.ts';

const DATA = join(import.meta.dirname, '../../examples/data');
/** The schedule-lag floor `runOn` sets (a loaded 2-core machine delays sends by up to this). */
const LAG_BOUND_MS = 50;

interface Line {
  scenario: string;
  seq: number;
  warmup: boolean;
  prompt_tokens: number;
  intended_ms: number;
  sent_ms: number;
  usage: { prompt_tokens: number; cached_tokens: number | null } | null;
}

let dir: string;
let sim: SimProcess;
let requests: RequestsFile;

// Block size 512, the Mooncake traces' own: the simulator's prefix cache then hashes the blocks
// the trace's hash_ids stand for, so its cached tokens can be compared exactly.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-trace-'));
  sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words', block_size: 512 });
  requests = new RequestsFile(join(dir, 'requests.jsonl'));
});

afterAll(async () => {
  requests?.close();
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function replay(name: string, data: Record<string, unknown>, load: Record<string, unknown>, warmup = 0, extra: Record<string, unknown> = {}): Promise<TestReport> {
  const scenario = { stream: true, warmup_requests: warmup, ...extra, load, data: { type: 'trace', tokenizer: 'words', seed: 7, ...data } } as unknown as ScenarioInput;
  return runOn('trace', dir, requests, name, simTarget(sim.url, 'words'), scenario);
}

function linesOf(name: string): Line[] {
  return readFileSync(join(dir, 'requests.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.scenario === name)
    .sort((a, b) => a.seq - b.seq);
}

/** Offsets in seconds from the first, sorted (stable), of raw times in `perSecond` units. */
function offsets(raw: number[], perSecond: number): number[] {
  const sorted = [...raw].sort((a, b) => a - b);
  return sorted.map((t) => (t - sorted[0]!) / perSecond);
}

const csvColumn = (file: string, k: number): string[] => readFileSync(join(DATA, file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[k]!);

/** Trace seconds of each request, read from the sample file the way its format defines them. */
const TIMES: Record<string, () => number[]> = {
  mooncake: () => offsets(readFileSync(join(DATA, 'mooncake-sample.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { timestamp: number }).timestamp), 1000),
  // Azure: wall-clock times with 7 fractional digits.
  azure: () => offsets(csvColumn('azure-llm-sample.csv', 0).map((t) => Date.parse(`${t.slice(0, 19).replace(' ', 'T')}Z`) / 1000 + Number(`0${t.slice(19)}`)), 1),
  // BurstGPT: seconds; rows with Response tokens 0 are failures, dropped by default.
  burstgpt: () => {
    const rows = readFileSync(join(DATA, 'burstgpt-sample.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    return offsets(rows.filter((r) => r[3] !== '0').map((r) => Number(r[0])), 1);
  },
  otel: () => {
    const spans = (JSON.parse(readFileSync(join(DATA, 'otel-trace-sample.json'), 'utf8')) as { spans: Array<{ start_time: string; attributes: Record<string, unknown> }> }).spans;
    const llm = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat' && s.attributes['gen_ai.input.messages']);
    return offsets([...new Set(llm.map((s) => Date.parse(`${s.start_time.slice(0, 19)}Z`) / 1000 + Number(`0${s.start_time.slice(19)}`)))], 1);
  },
};

const FILES: Record<string, string> = {
  mooncake: 'mooncake-sample.jsonl',
  azure: 'azure-llm-sample.csv',
  burstgpt: 'burstgpt-sample.csv',
  weka: 'weka-trace-sample.json',
  otel: 'otel-trace-sample.json',
};

/** The run's intended offsets are the trace's (windowed, divided by the speed-up) and its sends kept to them. */
function expectTraceTimes(name: string, report: TestReport, expectedS: number[], speedup: number): void {
  const measured = linesOf(name).filter((l) => !l.warmup);
  expect(measured.length).toBe(expectedS.length);
  expect(report.trace!.requests).toBe(expectedS.length);
  const t0 = measured[0]!.intended_ms;
  measured.forEach((l, k) => expect(l.intended_ms - t0, `request ${k}`).toBeCloseTo((expectedS[k]! * 1000) / speedup, 2));
  // Achieved sends: the report's lag is the records' (sent - intended), and its p99 is within the run's validity bound.
  const lags = measured.map((l) => l.sent_ms - l.intended_ms).sort((a, b) => a - b);
  expect(report.trace!.arrivalLagMs.count).toBe(expectedS.length);
  expect(report.trace!.arrivalLagMs.max!).toBeCloseTo(lags.at(-1)!, 2);
  expect(report.trace!.arrivalLagMs.min!).toBeCloseTo(lags[0]!, 2);
  expect(report.trace!.arrivalLagMs.p99!).toBeLessThanOrEqual(LAG_BOUND_MS);
  expect(report.trace!.speedup).toBe(speedup);
  expect(report.trace!.traceSpanS).toBeCloseTo(expectedS.at(-1)!, 6);
  expect(report.trace!.replaySpanS).toBeCloseTo(expectedS.at(-1)! / speedup, 6);
}

describe('trace replay: arrival times are the trace\'s', () => {
  // Windows keep each run to a few seconds; speed-ups differ so a wrong division shows.
  test.each([
    ['mooncake', { max_duration_s: 8 }, 4],
    ['azure', { max_requests: 40 }, 2],
    ['burstgpt', { max_duration_s: 20 }, 8],
    ['otel', {}, 2],
  ] as const)('%s, window %o, speed-up %d', async (format, window, speedup) => {
    const name = `times-${format}`;
    // Two warm-up requests first warm the client, and must not shift the trace's requests.
    const report = await replay(name, { path: join(DATA, FILES[format]!), format, ...window }, { type: 'trace', speedup }, 2);
    const all = TIMES[format]!();
    const cut = 'max_requests' in window ? all.slice(0, window.max_requests) : 'max_duration_s' in window ? all.filter((t) => t < window.max_duration_s) : all;
    expect(cut.length).toBeLessThan('max_requests' in window || 'max_duration_s' in window ? all.length : Infinity);
    expectTraceTimes(name, report, cut, speedup);
    expect(report.trace!.format).toBe(format);
    // BurstGPT's failed rows (Response tokens 0) are left out and counted; the other samples leave nothing out.
    const failed = csvColumn('burstgpt-sample.csv', 3).filter((c) => c === '0').length;
    expect(report.trace!.skipped).toEqual(format === 'burstgpt' ? [{ reason: 'failed request(s) (Response tokens 0) dropped', rows: failed }] : undefined);
  });

  test('weka (format told from the file): main and subagent requests at their idle-gap-capped times', async () => {
    const name = 'times-weka';
    const report = await replay(name, { path: join(DATA, FILES.weka!), weka: { trace_idle_gap_cap_seconds: 2 } }, { type: 'trace', speedup: 2 }, 2);
    expect(report.trace!.format).toBe('weka');
    // The sample's request starts (subagent requests relative to their entry) with gaps over 2 s cut to 2 s.
    type Req = { t: number; in: number; hash_ids?: number[] };
    const trace = JSON.parse(readFileSync(join(DATA, FILES.weka!), 'utf8')) as { block_size: number; requests: Array<Req & { type: string; requests?: Req[] }> };
    const all = trace.requests
      .flatMap((r) => (r.type === 'subagent' ? r.requests!.map((q) => ({ ...q, t: q.t + 1e-6 < r.t ? r.t + q.t : q.t })) : [r]))
      .sort((a, b) => a.t - b.t);
    const starts = all.map((r) => r.t);
    const capped = starts.map((_, i) => starts.slice(1, i + 1).reduce((s, t, j) => s + Math.min(2, t - starts[j]!), 0));
    expectTraceTimes(name, report, capped, 2);
    // Block reuse by hand: each request's whole blocks, the leading ones an earlier request sent, the last token never cached.
    const bs = trace.block_size;
    const seen = new Set<number>();
    let cached = 0;
    for (const r of all) {
      const ids = (r.hash_ids ?? []).slice(0, Math.floor(r.in / bs));
      let run = 0;
      while (run < Math.min(ids.length, Math.floor((r.in - 1) / bs)) && seen.has(ids[run]!)) run++;
      cached += run * bs;
      for (const id of ids) seen.add(id);
    }
    expect(cached).toBeGreaterThan(0);
    expect(report.trace!).toMatchObject({ blockSize: 16, expectedCachedTokens: cached });
  });
});

describe('trace replay: cache reuse', () => {
  test("Mooncake: the simulator's cached tokens equal the trace's block reuse; warm-up takes no trace request", async () => {
    const name = 'cache-mooncake';
    // A seed no other test of this file uses: their block texts are not in the simulator's cache.
    const report = await replay(name, { path: join(DATA, FILES.mooncake!), max_duration_s: 12, seed: 11 }, { type: 'trace', speedup: 3 }, 3);
    const t = report.trace!;
    expect(t.blockSize).toBe(512);
    expect(t.expectedCachedTokens).toBeGreaterThan(10 * 512);
    expect(t.reportedCachedTokens).toBe(t.expectedCachedTokens);
    const lines = linesOf(name);
    const measured = lines.filter((l) => !l.warmup);
    // Measured request k is the trace's request k (its recorded input_length), whatever the warm-up.
    const inputs = readFileSync(join(DATA, FILES.mooncake!), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { input_length: number }).input_length);
    measured.forEach((l, k) => expect(l.usage!.prompt_tokens).toBe(inputs[k]));
    // The warm-up shares no block with the trace: the first measured request finds nothing cached.
    expect(lines.filter((l) => l.warmup)).toHaveLength(3);
    expect(measured[0]!.usage!.cached_tokens).toBe(0);
    expect(t.promptTokens).toBe(measured.reduce((s, l) => s + l.usage!.prompt_tokens, 0));
  });

  test('another load type sends the trace in order, ignores its times, and says so', async () => {
    const name = 'order-concurrency';
    const report = await replay(name, { path: join(DATA, FILES.mooncake!), max_requests: 6 }, { type: 'concurrency', concurrency: 1 }, 0, { num_requests: 6 });
    expect(report.workload.notes.some((n) => n.includes('timestamps ignored'))).toBe(true);
    const inputs = readFileSync(join(DATA, FILES.mooncake!), 'utf8').trim().split('\n').slice(0, 6).map((l) => (JSON.parse(l) as { input_length: number }).input_length);
    expect(linesOf(name).map((l) => l.prompt_tokens)).toEqual(inputs);
  });
});

describe('trace replay: bad input is one line naming the key', () => {
  test('a missing file', async () => {
    await expect(replay('missing', { path: join(dir, 'nope.jsonl') }, { type: 'trace' })).rejects.toThrow(/^data\.path: .*nope\.jsonl: file not found$/);
  });

  test('a file of no trace format', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'hello\nworld\n');
    await expect(replay('bad-format', { path: file }, { type: 'trace' })).rejects.toThrow(/^data\.path: .*notes\.txt: not a known trace format/);
    await expect(replay('bad-line', { path: file, format: 'mooncake' }, { type: 'trace' })).rejects.toThrow(/^data\.path: .*notes\.txt:1: field \(json\): not a JSON value/);
  });

  test('load.type: trace without trace data, and trace options of another format', () => {
    const file = join(dir, 's.yaml');
    const scenario = (load: string, data: string) => `scenarios:\n  s:\n    num_requests: 5\n    load: ${load}\n    data: ${data}\n`;
    const errorOf = (text: string): string => {
      writeFileSync(file, text);
      try {
        loadScenarioFile(file, { cwd: dir, env: {} });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(errorOf(scenario('{ type: trace }', '{ type: synthetic, prompt_tokens: 10, max_tokens: 5 }'))).toMatch(
      /^.*s\.yaml: scenarios\.s\.load\.type: a trace load needs data\.type: trace .*got data\.type: synthetic$/,
    );
    expect(errorOf(scenario('{ type: trace, speedup: 0 }', '{ type: trace, path: x.jsonl }'))).toMatch(/scenarios\.s\.load\.speedup: expected a number > 0$/);
    expect(errorOf(scenario('{ type: trace }', '{ type: trace, path: x.csv, format: azure, weka: {} }'))).toMatch(/scenarios\.s\.data\.weka: options of a weka trace, but format is azure$/);
    expect(errorOf(scenario('{ type: trace }', '{ type: trace, path: x.csv, format: csv }'))).toMatch(/scenarios\.s\.data\.format: /);
    expect(errorOf(scenario('{ type: trace }', '{ type: trace, path: x.jsonl }'))).toBe('no error');
  });
});
