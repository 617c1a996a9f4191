/**
 * inference-perf's multi-turn and replay configs run through `suites/config` as a user runs them,
 * on the embedded simulator: this repository's examples/inference-perf/*.yml with the command each
 * file's header gives, and inference-perf's own configs (test/data/conversations/upstream, copied
 * unchanged; SOURCES.txt names their upstream paths and commit) run as they are, from a folder
 * where their relative paths resolve. Each run is checked on what its data type reports: the
 * sessions section (turns by index, the conversation cached after its first turn) or the trace
 * section (every request of the trace sent, the arrival lag judged by the validity bound, the
 * cache reuse a Weka trace predicts against what the server reported).
 *
 * The machine these tests run on is shared and small, so two runs go at a time and each run is
 * kept short. Client stalls (the shared machine pausing the client) do not fail a run here
 * (`BENCH_MAX_STALLED_SHARE: '1'`, as test/e2e/sessions-suite.test.ts runs suites/sessions): these
 * tests are about what runs and what the report says, not the numbers. A run the tool still marks
 * invalid (schedule lag past its bound, which a stalled client causes) or whose SLO fails exits 1
 * with "SLO not met" as its only failure; that is accepted, and the lag check below then asserts
 * that the verdict matches the lag the trace section reports.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isLlmSpan } from '../../lib/data/conversations/otel-trace.ts';
import type { OTelTrace } from '../../lib/data/conversations/otel-trace.ts';
import type { WekaTrace } from '../../lib/data/conversations/weka-trace.ts';
import { runSuites, workspace } from './run-suite.ts';
import type { SuiteRun } from './run-suite.ts';

const ROOT = join(import.meta.dirname, '../..');
const UPSTREAM = join(ROOT, 'test/data/conversations/upstream');

interface Dist {
  count: number;
  p50: number;
  p99: number;
}
interface Results {
  total_requests: number;
  failed: number;
  success_rate: number;
  errors?: Record<string, { count: number; example: string }>;
  ttft_ms: Dist;
}
interface ByTurn {
  turn: number;
  cached_fraction: number | null;
  results: Results;
}
interface SummaryTest {
  scenario: string;
  target_kind: string;
  results: Results;
  validity: { valid: boolean; reasons: string[] };
  slo: Array<{ checks: Array<{ name: string; value: number; limit: number }> }>;
  sessions: null | { header: string; started: number; completed: number; cut: number; failed: number; turns_planned: number; turns_sent: number; turns_cut: number; by_turn: ByTurn[] };
  trace: null | { format: string; file: string; requests: number; arrival_lag_ms: Dist; expected_cached_tokens: number | null; reported_cached_tokens: number; prompt_tokens: number };
}

/** A test's time: its run waits for a turn behind the others (each run is bounded by runSuites' own timeout). */
const RUNS_TIMEOUT = 900_000;

/** At most two suite runs at a time: each is a vitest process with its own embedded simulator. */
let running = 0;
const waiting: Array<() => void> = [];
async function inTurn(run: () => Promise<SuiteRun>): Promise<SuiteRun> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await run();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * `suites/config` on one config; `cwd` the folder it runs from (the repository root unless given),
 * `args` more vitest arguments (`-t <name>` to run one of its tests).
 */
function runConfig(env: Record<string, string>, cwd?: string, args: string[] = []): Promise<SuiteRun> {
  return inTurn(() => runSuites(['suites/config', ...args], workspace(), { BENCH_MAX_STALLED_SHARE: '1', BENCH_TARGETS_FILE: '', ...env }, 150_000, cwd));
}

/**
 * The one test of the run's summary.json, after checking the run finished it, every request
 * answered; with `overContext`, the requests the simulated model refused for a prompt over its
 * context length (the config's, not the tool's) are the only failures allowed.
 */
function ranOnSimulator(run: SuiteRun, overContext = false): SummaryTest {
  expect(run.output).not.toMatch(/ConfigError|TargetError|TypeError|ReferenceError|Test timed out/);
  if (run.code !== 0) {
    expect(run.code, run.output).toBe(1);
    for (const f of run.output.match(/^\s*(?:\w*Error): .*$/gm) ?? []) expect(f, run.output).toMatch(/SLO not met/);
  }
  const { tests } = JSON.parse(readFileSync(join(run.runDirs.config!, 'summary.json'), 'utf8')) as { tests: SummaryTest[] };
  expect(tests).toHaveLength(1);
  const t = tests[0]!;
  expect(t.target_kind).toBe('simulator');
  expect(t.results.total_requests).toBeGreaterThan(0);
  if (overContext) {
    expect(t.results.failed).toBeLessThan(t.results.total_requests);
    for (const e of Object.values(t.results.errors ?? {})) expect(e.example).toMatch(/^HTTP 400: This model's maximum context length is \d+ tokens/);
  } else expect(t.results.success_rate).toBe(1);
  return t;
}

/** Turns numbered 1, 2, ... in order, each with requests; returns the section. */
function sessionsOf(t: SummaryTest): NonNullable<SummaryTest['sessions']> {
  const s = t.sessions!;
  expect(s, 'sessions section').toBeTruthy();
  expect(s.header).toBe('x-session-id');
  expect(s.by_turn.map((b) => b.turn)).toEqual(s.by_turn.map((_, i) => i + 1));
  expect(s.by_turn[0]!.results.total_requests).toBeGreaterThan(0);
  expect(s.by_turn.reduce((n, b) => n + b.results.total_requests, 0)).toBe(s.turns_sent);
  expect(s.turns_sent).toBe(t.results.total_requests);
  expect(s.completed + s.cut + s.failed).toBeLessThanOrEqual(s.started);
  return s;
}

/** A conversation's later turns find it cached: more of their prompt cached and a lower TTFT than turn 1. */
function expectLaterTurnsCached(s: NonNullable<SummaryTest['sessions']>): void {
  const [first, ...later] = s.by_turn.filter((b) => b.results.total_requests > 0);
  expect(later.length).toBeGreaterThan(0);
  for (const b of later) expect(b.cached_fraction!).toBeGreaterThan(first!.cached_fraction!);
  const laterP50 = later.map((b) => b.results.ttft_ms.p50).sort((a, b) => a - b)[Math.floor(later.length / 2)]!;
  expect(laterP50).toBeLessThan(first!.results.ttft_ms.p50);
}

/**
 * Multi-turn shared_prefix: `sessions` user sessions of `rounds` rounds each (the translation's
 * rounds = ceil(requests / users) of the config's first stage), every planned round sent or cut by
 * the stage's end, and a round resends the user's prompt after the conversation so far, so from the
 * second round on most of the prompt is cached.
 */
function expectUserRounds(s: NonNullable<SummaryTest['sessions']>, sessions: number, rounds: number): void {
  expect(s.started).toBe(sessions);
  expect(s.turns_planned).toBe(sessions * rounds);
  expect(s.turns_sent + s.turns_cut).toBe(sessions * rounds);
  expect(s.by_turn[0]!.results.total_requests).toBe(sessions);
  expect(s.by_turn.length).toBeGreaterThanOrEqual(2);
  expect(s.by_turn[1]!.cached_fraction!).toBeGreaterThan(0.5);
}

/**
 * Every request of the trace sent (`requests`, the trace's own count), and the arrival lag is what
 * the validity bound judges: the SLO's schedule-lag check carries the trace's arrival lag p99, a
 * valid run is within the bound, and a lag past it makes the run invalid, saying why.
 */
function traceOf(t: SummaryTest, requests: number): NonNullable<SummaryTest['trace']> {
  const tr = t.trace!;
  expect(tr, 'trace section').toBeTruthy();
  expect(tr.requests).toBe(requests);
  expect(t.results.total_requests).toBe(requests);
  expect(tr.arrival_lag_ms.count).toBe(requests);
  const lag = t.slo[0]!.checks.find((c) => c.name.startsWith('schedule lag p99'))!;
  expect(lag.value).toBeCloseTo(tr.arrival_lag_ms.p99, 6);
  if (t.validity.valid) expect(tr.arrival_lag_ms.p99).toBeLessThanOrEqual(lag.limit);
  if (tr.arrival_lag_ms.p99 > lag.limit) expect(t.validity.reasons.join('\n')).toMatch(/schedule lag p99 .* > .*: the client could not keep up/);
  return tr;
}

/** LLM calls in an OTel trace file, as inference-perf's `is_llm_span` picks them; a span recorded twice counts once. */
function otelCalls(file: string, includeErrors: boolean): number {
  const spans = (JSON.parse(readFileSync(file, 'utf8')) as OTelTrace).spans.filter((s) => isLlmSpan(s, includeErrors));
  return new Set(spans.map((s) => `${s.start_time}|${s.end_time ?? ''}|${JSON.stringify(s.attributes ?? {})}`)).size;
}

/**
 * A folder laid out as a user's project with vitest-llm-d installed (this repository's sources,
 * suites and vitest config linked in), where an upstream config's relative paths resolve: the
 * given files are copied in at the given relative paths.
 */
function projectFolder(files: Record<string, string>): string {
  const dir = workspace();
  for (const entry of readdirSync(ROOT)) if (!['examples', 'test', 'docs'].includes(entry) && !entry.startsWith('.')) symlinkSync(join(ROOT, entry), join(dir, entry));
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(join(dir, to, '..'), { recursive: true });
    copyFileSync(from, join(dir, to));
  }
  return dir;
}

describe.concurrent('examples/inference-perf run with the command each file gives', () => {
  test('BENCH_CONFIG=examples/inference-perf/conversation-replay.yml BENCH_TARGET=simulator: turns by index, later turns cached and faster', async () => {
    const run = await runConfig({ BENCH_CONFIG: 'examples/inference-perf/conversation-replay.yml', BENCH_TARGET: 'simulator' });
    const s = sessionsOf(ranOnSimulator(run));
    expect(s.by_turn.length).toBeGreaterThanOrEqual(2);
    expect(s.by_turn.length).toBeLessThanOrEqual(6);
    expectLaterTurnsCached(s);
  }, RUNS_TIMEOUT);

  test('BENCH_CONFIG=examples/inference-perf/shared-prefix-multi-turn.yml BENCH_TARGET=simulator: 6 users, 5 rounds each', async () => {
    const run = await runConfig({ BENCH_CONFIG: 'examples/inference-perf/shared-prefix-multi-turn.yml', BENCH_TARGET: 'simulator' });
    // 6 requests/s for 5 s: 30 requests of 6 users, so 6 sessions of 5 rounds.
    expectUserRounds(sessionsOf(ranOnSimulator(run)), 6, 5);
  }, RUNS_TIMEOUT);

  test("BENCH_CONFIG=examples/inference-perf/trace-replay.yml on simulator-256: the Azure sample's 200 requests at their timestamps", async () => {
    const run = await runConfig({ BENCH_CONFIG: 'examples/inference-perf/trace-replay.yml', BENCH_TARGETS_FILE: 'examples/targets.yaml', BENCH_TARGET: 'simulator-256' });
    const azureRows = readFileSync(join(ROOT, 'examples/data/azure-llm-sample.csv'), 'utf8').trim().split('\n').length - 1;
    const tr = traceOf(ranOnSimulator(run), azureRows);
    expect(tr.format).toBe('azure');
    expect(tr.expected_cached_tokens).toBeNull();
  }, RUNS_TIMEOUT);

  test('BENCH_CONFIG=examples/inference-perf/otel-trace-replay.yml BENCH_TARGET=simulator: every recorded chat call', async () => {
    const run = await runConfig({ BENCH_CONFIG: 'examples/inference-perf/otel-trace-replay.yml', BENCH_TARGET: 'simulator' });
    const tr = traceOf(ranOnSimulator(run), otelCalls(join(ROOT, 'examples/data/otel-trace-sample.json'), false));
    expect(tr.format).toBe('otel');
  }, RUNS_TIMEOUT);

  test("BENCH_CONFIG=examples/inference-perf/weka-trace-replay.yml BENCH_TARGET=simulator: the server's cached tokens match the trace's block reuse", async () => {
    const run = await runConfig({ BENCH_CONFIG: 'examples/inference-perf/weka-trace-replay.yml', BENCH_TARGET: 'simulator' });
    const weka = JSON.parse(readFileSync(join(ROOT, 'examples/data/weka-trace-sample.json'), 'utf8')) as WekaTrace;
    // The main session's requests and each subagent's.
    const requests = weka.requests.reduce((n, r) => n + (r.type === 'subagent' ? r.requests.length : 1), 0);
    const tr = traceOf(ranOnSimulator(run), requests);
    expect(tr.format).toBe('weka');
    expect(tr.expected_cached_tokens).toBeGreaterThan(0);
    expect(tr.reported_cached_tokens).toBeGreaterThanOrEqual(0.9 * tr.expected_cached_tokens!);
    expect(tr.reported_cached_tokens).toBeLessThanOrEqual(1.1 * tr.expected_cached_tokens!);
  }, RUNS_TIMEOUT);
});

describe.concurrent("inference-perf's own configs, run unchanged on the simulator", () => {
  // Its 5 s at 20 requests/s is shortened to 2 s (BENCH_DURATION) to keep the test short.
  test('examples/vllm/config-shared-prefix-multi-turn.yml (BENCH_DURATION=2): 20 users of 5 rounds, 8 started in 2 s', async () => {
    const run = await runConfig({ BENCH_CONFIG: join(UPSTREAM, 'shared-prefix-multi-turn.yml'), BENCH_TARGET: 'simulator', BENCH_DURATION: '2' });
    // 20 requests/s for 5 s: 100 requests of 20 users, so sessions of 5 rounds, started at 4 a second: 8 in the 2 s BENCH_DURATION leaves.
    expectUserRounds(sessionsOf(ranOnSimulator(run)), 8, 5);
  }, RUNS_TIMEOUT);

  // Its trace is ./traces/trace.csv, relative to where it runs: it runs from a folder holding
  // traces/trace.csv, a copy of examples/data/azure-llm-sample.csv, on the 256-sequence simulator
  // (the trace's bursts outrun the default profile's 16 running sequences).
  test('examples/vllm/config-trace-replay.yml from a folder with traces/trace.csv: every request of the trace', async () => {
    const azure = join(ROOT, 'examples/data/azure-llm-sample.csv');
    const dir = projectFolder({ 'traces/trace.csv': azure });
    const run = await runConfig({ BENCH_CONFIG: join(UPSTREAM, 'config-trace-replay.yml'), BENCH_TARGETS_FILE: join(ROOT, 'examples/targets.yaml'), BENCH_TARGET: 'simulator-256' }, dir);
    const tr = traceOf(ranOnSimulator(run), readFileSync(azure, 'utf8').trim().split('\n').length - 1);
    expect(tr).toMatchObject({ format: 'azure', file: './traces/trace.csv' });
  }, RUNS_TIMEOUT);

  // Its trace files are examples/otel/test_traces/simple/*.json, relative to where it runs (an
  // inference-perf clone): it runs from a folder holding inference-perf's two trace files there.
  test('examples/otel/configs/simple/two-sessions-sequential.yml from a folder with its test traces: both sessions', async () => {
    const traces = ['simple_chain.json', 'simple_chain_alt.json'];
    const dir = projectFolder(Object.fromEntries(traces.map((f) => [`examples/otel/test_traces/simple/${f}`, join(UPSTREAM, f)])));
    const run = await runConfig({ BENCH_CONFIG: join(UPSTREAM, 'otel-two-sessions-sequential.yml'), BENCH_TARGET: 'simulator' }, dir);
    const tr = traceOf(ranOnSimulator(run), traces.reduce((n, f) => n + otelCalls(join(UPSTREAM, f), true), 0));
    expect(tr.format).toBe('otel');
  }, RUNS_TIMEOUT);

  // The workload catalog's conversation replays are large (5 levels of 50 to 300 conversations,
  // prompts of thousands of tokens, tool calls of 5 s to 5 min between turns). The tool's own
  // overrides cap them, as a user shortens any config: 2 users (BENCH_CONCURRENCY), 4
  // conversations (BENCH_NUM_REQUESTS), 3 s (BENCH_DURATION). The tool calls then outlast the
  // stage, so each conversation is cut after its first turn, and the report says so. deep-research's
  // per-conversation system prompts (lognormal, mean 45000 tokens, up to 150000) pass the simulated Qwen3-0.6B's
  // 32768-token context: the server refuses those requests (HTTP 400), as vLLM would. Levels with
  // different request counts are tests of their own (`<name>.c<level>`): only the first runs (-t).
  // code-generation is not run here: its 40 conversations (mean 540 turns of 1500 tokens after a
  // system prompt of 160000 tokens on average) are all generated before the first request, which
  // takes minutes and over a gigabyte whatever the caps; test/config/ip-sessions.test.ts checks its
  // translation.
  for (const [profile, firstLevel] of [
    ['deep-research', '.c1'],
    ['interactive-chat', ''],
  ] as const) {
    test(`workload-catalog/${profile}/inference-perf.yaml, capped by BENCH_CONCURRENCY, BENCH_NUM_REQUESTS, BENCH_DURATION`, async () => {
      const name = `conversation-replay-${profile}`;
      const env = { BENCH_CONFIG: join(UPSTREAM, `${name}.yaml`), BENCH_TARGET: 'simulator', BENCH_CONCURRENCY: '2', BENCH_NUM_REQUESTS: '4', BENCH_DURATION: '3' };
      const run = await runConfig(env, undefined, ['-t', `${name}${firstLevel.replace('.', '\\.')}$`]);
      const s = sessionsOf(ranOnSimulator(run, profile === 'deep-research'));
      expect(s.started).toBeGreaterThanOrEqual(1);
      expect(s.started).toBeLessThanOrEqual(4);
      expect(s.turns_sent + s.turns_cut).toBeLessThanOrEqual(s.turns_planned);
      expect(s.cut).toBeGreaterThan(0);
      expect(run.output).toMatch(/were cut by the stage’s end before their last turn/);
    }, RUNS_TIMEOUT);
  }

  for (const [file, upstreamPath] of [
    ['weka-trace-replay.yaml', 'config-weka.yaml'],
    ['otel-agentic-trace-replay.yaml', 'workload-catalog/agentic-trace-replay/inference-perf.yaml'],
  ] as const) {
    test(`${upstreamPath} reads its trace from Hugging Face: refused with the one line naming hf_dataset_path`, async () => {
      const run = await runConfig({ BENCH_CONFIG: join(UPSTREAM, file), BENCH_TARGET: 'simulator' });
      expect(run.code).toBe(1);
      // Alone, the problem is on the error's line; with others, one line of the list.
      expect(run.output).toMatch(/ConfigError: test\/data\/conversations\/upstream\//);
      expect(run.output).toMatch(/(?:^ {2}|: )data\.\w+_trace_replay\.hf_dataset_path: a Hugging Face dataset, and nothing is downloaded here: download its trace files and give them as trace_files or trace_directory$/m);
      expect(run.runDirs.config).toBeUndefined();
    }, RUNS_TIMEOUT);
  }
});
