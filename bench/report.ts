import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import type { MaxRateResult } from './max-rate.ts';
import type { MemoryResult } from './memory.ts';
import type { MicroResult } from './micro.ts';
import type { StallWatchCost } from './stall-watch.ts';
import type { CpuShare, LagResult, SseResult } from './scenarios.ts';

/** Where and when the benchmark ran: numbers from a busy 2-core VM are not numbers from a quiet workstation. */
export interface BenchMeta {
  /** Wall time of the start, ISO 8601 UTC (for humans; no latency is computed from it). */
  startedAt: string;
  node: string;
  cpus: number;
  cpuModel: string;
  /** 1-minute load average at the start and at the end. */
  loadAvg: { start: number; end: number };
  /** `git rev-parse --short HEAD`, with `-dirty` when the tree has changes; null outside git. */
  commit: string | null;
  /** Whole benchmark, s. */
  durationS: number;
}

/** A target from the issue and whether this run met it. */
export interface TargetResult {
  name: string;
  limit: string;
  value: number | null;
  unit: string;
  /** Null: not measured in this run (`note` says why). */
  pass: boolean | null;
  note?: string;
}

/** Everything `npm run bench` measured; written to `bench/results/latest.json`. */
export interface BenchReport {
  meta: BenchMeta;
  sse: SseResult[];
  lag: LagResult[];
  maxRate: MaxRateResult;
  memory: MemoryResult;
  micro: MicroResult[];
  /** The runner's stall watch alone, in an idle process; absent in results from before it was measured. */
  stallWatch?: StallWatchCost;
  targets: TargetResult[];
  /** Runs during which other processes took a real share of the CPU (see `machineNotes`). */
  notes: string[];
}

/** Share of one core other processes may use during a run before its numbers get a warning. */
const BUSY_OTHER_PCT = 25;

/**
 * Warnings for runs measured on a busy machine: other processes (or the hypervisor) took more
 * than a quarter of a core, so lag and throughput there are not the client's alone.
 */
export function machineNotes(sse: SseResult[], lag: LagResult[], maxRate: MaxRateResult): string[] {
  const runs: [string, CpuShare][] = [
    ...sse.map((s): [string, CpuShare] => [`SSE ${s.name}`, s.cpu]),
    ...lag.map((l): [string, CpuShare] => [`lag ${l.kind}${l.sessionTurns ? ` ${pathOf(l)}` : ''} ${l.offeredRate}/s`, l.cpu]),
    ...maxRate.runs.map((r, i): [string, CpuShare] => [`max rate ${r.client} #${i + 1}`, r.cpu]),
  ];
  const busy = runs.filter(([, c]) => (c.otherPct ?? 0) + (c.stealPct ?? 0) > BUSY_OTHER_PCT);
  if (busy.length === 0) return [];
  const list = busy.map(([name, c]) => `${name} (${Math.round((c.otherPct ?? 0) + (c.stealPct ?? 0))}%)`).join(', ');
  return [`busy machine: other processes used more than ${BUSY_OTHER_PCT}% of a core during ${list}; rerun those on a quiet machine before quoting them`];
}

/** `single` or `N-turn sessions`: the path a run measured. */
export function pathOf(r: { sessionTurns?: number }): string {
  return r.sessionTurns ? `${r.sessionTurns}-turn sessions` : 'single';
}

/** How far the session path's figures may fall behind the single-request path's: 10%. */
const SESSION_PATH_TOLERANCE = 0.1;
/** The rate at which the two paths' schedule lag is compared, requests/s. */
const SESSION_LAG_RATE = 1000;

/** Rates up to which schedule lag p99 must stay under 2 ms. */
const LAG_TARGET_RATES = [100, 500, 1000];
/** Memory growth allowed per million finished requests, MB. */
const MEMORY_TARGET_MB = 100;
/** How many times wrk's request rate this client may be below it. */
const WRK_RATIO_TARGET = 3;

/**
 * The issues' targets: >= 50,000 SSE events/s parsed by one client; schedule lag p99 < 2 ms up
 * to 1,000 requests/s; a request rate within 3x of wrk's on the same endpoint; memory growth
 * under 100 MB per million finished requests; and the session path (the same requests as turns of
 * multi-turn sessions) within 10% of the single-request path on events/s and on schedule lag p99
 * at 1,000 requests/s.
 */
export function evaluateTargets(sse: SseResult[], lag: LagResult[], maxRate: MaxRateResult, memory: MemoryResult): TargetResult[] {
  // A run with failed requests does not count: events are only worth counting when every stream completed.
  const clean = sse.filter((s) => s.failed === 0);
  const best = bestEvents(clean.filter((s) => !s.sessionTurns));
  const lagRows = LAG_TARGET_RATES.map((rate): TargetResult => {
    const v = lag.find((l) => l.kind === 'http' && !l.sessionTurns && l.offeredRate === rate)?.lagP99Ms ?? null;
    return { name: `schedule lag p99 at ${rate.toLocaleString('en-US')} requests/s`, limit: '< 2 ms', value: v, unit: 'ms', pass: v === null ? null : v < 2 };
  });
  const ratio = maxRate.wrkOverOurs;
  // Memory: the larger of the live-memory and the RSS bound (see MemoryResult.livePerMillionMb).
  // It bounds a million requests only when the run went past the statistics' exact-sample caps.
  const mem = Math.max(memory.livePerMillionMb, memory.rssPerMillionMb);
  const memNote =
    memory.failed > 0
      ? `${memory.failed} requests failed in the memory run`
      : memory.approximateMetrics.length === 0
        ? 'the run ended before the statistics reached their exact-sample caps, so its growth does not bound a million requests (BENCH_QUICK?)'
        : null;
  return [
    { name: 'SSE events/s received and parsed by one client', limit: '>= 50,000', value: best, unit: 'events/s', pass: best !== null && best >= 50_000 },
    ...lagRows,
    ...sessionPathTargets(clean, lag, best),
    {
      name: 'request rate: wrk / this client (suite path), same endpoint',
      limit: `<= ${WRK_RATIO_TARGET}x`,
      value: ratio,
      unit: 'x',
      pass: ratio === null ? null : ratio <= WRK_RATIO_TARGET,
      ...(maxRate.wrkMissing ? { note: maxRate.wrkMissing } : {}),
    },
    {
      name: 'memory growth per million finished requests (max of live, RSS)',
      limit: `< ${MEMORY_TARGET_MB} MB`,
      value: mem,
      unit: 'MB',
      pass: memNote ? null : mem < MEMORY_TARGET_MB,
      ...(memNote ? { note: memNote } : {}),
    },
  ];
}

/** The most content events/s among `runs`, null without runs. */
function bestEvents(runs: readonly SseResult[]): number | null {
  return runs.length ? Math.max(...runs.map((s) => s.eventsPerS)) : null;
}

/**
 * The session path against the single-request path: best events/s (clean runs) as a ratio that
 * must stay >= 0.9, and schedule lag p99 at 1,000 requests/s as a ratio that must stay <= 1.1.
 */
function sessionPathTargets(cleanSse: SseResult[], lag: LagResult[], singleBest: number | null): TargetResult[] {
  const sessionRuns = cleanSse.filter((s) => s.sessionTurns);
  const sessionBest = bestEvents(sessionRuns);
  const lagAt = (sessions: boolean): number | null =>
    lag.find((l) => l.kind === 'http' && Boolean(l.sessionTurns) === sessions && l.offeredRate === SESSION_LAG_RATE)?.lagP99Ms ?? null;
  const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || b <= 0 ? null : a / b);
  const events = ratio(sessionBest, singleBest);
  const lagRatio = ratio(lagAt(true), lagAt(false));
  const turns = sessionRuns[0]?.sessionTurns ?? lag.find((l) => l.sessionTurns)?.sessionTurns;
  const path = turns ? `${turns}-turn sessions` : 'sessions';
  return [
    {
      name: `SSE events/s: ${path} / single requests`,
      limit: `>= ${(1 - SESSION_PATH_TOLERANCE).toFixed(2)}x`,
      value: events,
      unit: 'x',
      pass: events === null ? null : events >= 1 - SESSION_PATH_TOLERANCE,
    },
    {
      name: `schedule lag p99 at ${SESSION_LAG_RATE.toLocaleString('en-US')} requests/s: ${path} / single requests`,
      limit: `<= ${(1 + SESSION_PATH_TOLERANCE).toFixed(2)}x`,
      value: lagRatio,
      unit: 'x',
      pass: lagRatio === null ? null : lagRatio <= 1 + SESSION_PATH_TOLERANCE,
    },
  ];
}

/** Reads the machine context at the start of a run; finish it with `finishMeta`. */
export function startMeta(): BenchMeta {
  return {
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    loadAvg: { start: loadavg()[0]!, end: NaN },
    commit: gitCommit(),
    durationS: NaN,
  };
}

/** Fills the end-of-run fields of `meta`. */
export function finishMeta(meta: BenchMeta, startedPerfMs: number): void {
  meta.loadAvg.end = loadavg()[0]!;
  meta.durationS = (performance.now() - startedPerfMs) / 1000;
}

function gitCommit(): string | null {
  try {
    const opts = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).trim() !== '';
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

/** Writes the report as JSON, creating the folder. */
export function writeReport(report: BenchReport, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

const int = (n: number | null): string => (n === null || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'));
const fix = (n: number | null, d: number): string => (n === null || !Number.isFinite(n) ? '-' : n.toFixed(d));
const pct = (n: number | null): string => (n === null ? '-' : `${Math.round(n)}%`);

/** CPU columns: client / simulator / rest of the machine in % of one core, and the client's run-queue wait. */
function cpuCells(c: CpuShare): string[] {
  return [`${pct(c.clientPct)} / ${pct(c.simPct)} / ${pct(c.otherPct)}`, fix(c.clientRunQueueMsPerS, 0)];
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** The report as the compact text tables `npm run bench` prints. */
export function renderReport(r: BenchReport): string {
  const m = r.meta;
  const stream = r.micro.find((x) => x.stream)?.stream;
  const out: string[] = [];
  out.push(
    `vitest-llm-d client benchmark: node ${m.node}, ${m.cpus} CPUs (${m.cpuModel}), commit ${m.commit ?? '-'}, ` +
      `load avg ${fix(m.loadAvg.start, 2)} -> ${fix(m.loadAvg.end, 2)}, ${fix(m.durationS, 0)} s`,
    'Simulator in its own process. CPU = client / simulator / everything else, % of one core; ' +
      'runq = ms per s the client main thread waited for a CPU.',
    '',
    'SSE throughput (closed loop, /v1/completions stream, continuous usage; events = content chunks)',
  );
  out.push(
    table(
      ['run', 'path', 'streams', 'tokens', 'ITL ms', 'offered ev/s', 'req/s', 'events/s', 'CPU µs/event', 'ELD p99 ms', 'RSS MB', 'failed', 'CPU', 'runq'],
      r.sse.map((s) => [
        s.name, pathOf(s), String(s.concurrency), int(s.maxTokens), fix(s.itlMs, 1), int(s.offeredEventsPerS), fix(s.requestsPerS, 1),
        int(s.eventsPerS), fix(s.cpuUsPerEvent, 2), fix(s.eventLoopDelayP99Ms, 1), `${int(s.startRssMb)}->${int(s.peakRssMb)}`,
        String(s.failed), ...cpuCells(s.cpu),
      ]),
    ),
    '',
    'Schedule lag (open loop, constant rate, 10 output tokens/request; lag = sent - intended; ' +
      'sessions arrive at rate / turns, each later turn is intended when the previous response ended)',
  );
  out.push(
    table(
      ['run', 'path', 'offered req/s', 'sent req/s', 'requests', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'E2E p99 ms', 'in flight max', 'ELD p99 ms', 'failed', 'CPU', 'runq'],
      r.lag.map((l) => [
        l.kind, l.kind === 'http' ? pathOf(l) : '-', int(l.offeredRate), fix(l.achievedSendRate, 1), int(l.requests), fix(l.lagP50Ms, 3), fix(l.lagP99Ms, 3), fix(l.lagMaxMs, 2),
        fix(l.e2eP99Ms, 1), l.kind === 'http' ? String(l.peakInFlight) : '-', fix(l.eventLoopDelayP99Ms, 2), String(l.failed), ...cpuCells(l.cpu),
      ]),
    ),
    '',
    ...renderMaxRate(r.maxRate),
    '',
    ...renderMemory(r.memory),
    '',
    `Microbenchmarks (tinybench; one op = one vLLM completions stream of ${int(stream?.events ?? null)} events, ` +
      `${int(stream?.bytes ?? null)} bytes, or one summarize() call)`,
  );
  out.push(
    table(
      ['task', 'ms/op', '± %', 'MB/s', 'events/s'],
      r.micro.map((x) => [x.name, fix(x.msPerOp, 3), fix(x.rmePct, 1), int(x.mbPerS), int(x.eventsPerS)]),
    ),
    '',
    ...(r.stallWatch
      ? [
          `Stall watch in an idle process (${r.stallWatch.seconds} s each): CPU ${fix(r.stallWatch.idleCpuPct, 2)}% of a core without, ` +
            `${fix(r.stallWatch.watchedCpuPct, 2)}% with (${fix(r.stallWatch.overheadPct, 2)}% for ${int(r.stallWatch.ticksPerS)} ticks/s` +
            `${r.stallWatch.schedstat ? ', schedstat read at each' : ', no schedstat'}); ${r.stallWatch.stalls} stalls seen`,
          '',
        ]
      : []),
    'Targets',
  );
  out.push(
    table(
      ['target', 'limit', 'measured', 'result'],
      r.targets.map((t) => [t.name, t.limit, `${targetValue(t)} ${t.unit}`, t.pass === null ? 'NOT MEASURED' : t.pass ? 'PASS' : 'FAIL']),
    ),
  );
  for (const t of r.targets) if (t.note) out.push(`note: ${t.name}: ${t.note}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

function targetValue(t: TargetResult): string {
  if (t.unit === 'ms') return fix(t.value, 3);
  if (t.unit === 'x') return fix(t.value, 2);
  if (t.unit === 'MB') return fix(t.value, 1);
  return int(t.value);
}

function renderMaxRate(m: MaxRateResult): string[] {
  const c = m.config;
  const out = [
    `Max request rate (closed loop, ${c.connections} connections, non-streaming, max_tokens ${c.maxTokens}, simulator at zero latency; ` +
      `${c.seconds} s per run, ${c.rounds} round${c.rounds === 1 ? '' : 's'} alternating, best counts; runner = runLoad alone, suite path = + statistics + requests.jsonl; wrk -t1)`,
  ];
  if (m.wrkMissing) out.push(`*** WRK NOT RUN: ${m.wrkMissing} ***`);
  out.push(
    table(
      ['client', 'req/s', 'requests', 'failed', 'CPU client / sim'],
      m.runs.map((r) => [r.client, int(r.requestsPerS), int(r.requests), String(r.failed), `${pct(r.cpu.clientPct)} / ${pct(r.cpu.simPct)}`]),
    ),
    `best req/s: runner ${int(m.best.runner)}, suite path ${int(m.best.suitePath)}, wrk ${m.best.wrk === null ? 'not run' : int(m.best.wrk)}` +
      (m.wrkOverOurs === null ? '' : `; wrk / suite path = ${fix(m.wrkOverOurs, 2)}x`) +
      (m.wrk ? ` (${m.wrk.replace(/ Copyright.*$/, '')})` : ''),
  );
  return out;
}

function renderMemory(m: MemoryResult): string[] {
  const c = m.config;
  const base = m.points[0]!;
  return [
    `Memory per finished request (closed loop ${c.concurrency}, streamed, ${c.maxTokens} tokens = ${c.maxTokens} chunks a request, ` +
      `runner + statistics (test and cell) + requests.jsonl on disk; in its own process, read after a forced full GC; live = JS heap + external)`,
    table(
      ['requests', 'live MB', 'live +MB', 'RSS MB', 'RSS +MB'],
      m.points.map((p) => [int(p.requests), fix(p.liveMb, 1), fix(p.liveMb - base.liveMb, 1), fix(p.rssMb, 0), fix(p.rssMb - base.rssMb, 0)]),
    ),
    `growth per 100,000 requests: live ${fix(m.livePer100kMb, 1)} MB, RSS ${fix(m.rssPer100kMb, 1)} MB; ` +
      `peak growth: live ${fix(m.peakLiveGrowthMb, 1)} MB, RSS ${fix(m.peakRssGrowthMb, 0)} MB; ` +
      `per million (the larger of peak and linear extrapolation): live ${fix(m.livePerMillionMb, 0)} MB, RSS ${fix(m.rssPerMillionMb, 0)} MB`,
    `${int(m.requestsPerS)} req/s (GC pauses included), ${int(m.fileBytesPerRequest)} bytes/request in requests.jsonl, ${m.failed} failed; ` +
      `statistics from histograms at the end (past the exact-sample cap): ${m.approximateMetrics.join(', ') || 'none'}`,
  ];
}
