/**
 * The text of `vitest-llm-d check`: one block per valid file with the plan of each workload
 * (stages and request counts, arrivals, data and a sample's lengths, endpoint, SLO, keys accepted
 * without effect, how the file was read, what the environment replaced). Values reach here
 * redacted (`check-config.ts`); header values and keys are never in the plan at all.
 */
import type { ConfigOverride } from '../lib/config/env.ts';
import type { CheckedFile, NoEffectKey, WorkloadPlan } from '../lib/scenario/check-config.ts';
import type { LengthStats, PlannedStage } from '../lib/scenario/plan.ts';
import type { EndpointPlan } from '../lib/scenario/plan-target.ts';

/** The plan of a valid file, as lines ending in a newline. */
export function renderPlan(f: CheckedFile): string {
  const n = f.workloads.length;
  const lines = [`${f.file}: valid: ${f.kindReason}; ${n} workload${n === 1 ? '' : 's'}`];
  if (f.endpoint) lines.push(`  endpoint: ${endpointLine(f.endpoint)}`, ...f.endpoint.overrides.map((o) => `    ${overrideLine(o)}`));
  for (const e of f.env) lines.push(`  ${e.path} = ${show(e.value)}: ${e.source}`);
  if (f.testTimeoutS !== null) lines.push(`  test time limit: ${f.testTimeoutS} s (harness.wait_timeout)`);
  if (f.description) lines.push(`  description: ${show(f.description.text)}${f.description.keywords.length ? `, keywords ${f.description.keywords.join(', ')}` : ''}`);
  for (const h of f.hooks) lines.push(`  hook ${h.hook} (run around each workload, not by check): ${show(h.command)} (${h.source})`);
  lines.push(...noEffectLines(f.noEffect, '  '));
  for (const w of f.workloads) lines.push('', ...workloadLines(w, f.endpoint?.model ?? null));
  return `${lines.join('\n')}\n\n`;
}

function endpointLine(e: EndpointPlan): string {
  const where = e.kind === 'endpoint' ? e.url! : e.kind === 'simulator' ? (e.url ? `the shared embedded simulator at ${e.url}` : 'the embedded simulator (started by the run)') : 'a provisioned stack';
  const model = e.model ?? "the server's first model (asked at run time)";
  const key = e.apiKey ? `API key from ${e.apiKey}` : 'no API key';
  const headers = e.headers.length ? `headers ${e.headers.join(', ')}` : 'no extra headers';
  const eos = e.ignoreEos === null ? '' : e.ignoreEos ? '; ignore_eos sent (outputs are max_tokens long)' : '; no ignore_eos (outputs may end early)';
  return `${where}; model ${model}; ${e.backend ?? 'backend of the stack'}; ${key}; ${headers}${eos}; from ${e.origin}`;
}

function workloadLines(w: WorkloadPlan, model: string | null): string[] {
  const at = w.origin && w.origin !== `scenarios.${w.name}` ? ` (${w.origin})` : '';
  const out = [`  workload ${w.name}${at}: ${w.api}, ${w.stream ? 'streaming' : 'not streaming'}`];
  const l = w.load;
  out.push(`    load: ${l.type}: ${l.description}`, `    arrivals: ${l.arrivals}`, `    stop rules: ${l.stopRules}`);
  if (l.stages) out.push(...stageTable(l.stages).map((s) => `      ${s}`));
  else out.push('    stages: a capacity search chooses each trial as it runs');
  const warmup = l.warmupRequests > 0 ? `, after ${l.warmupRequests} warm-up requests` : ', no warm-up';
  const total = l.totalRequests === null ? 'measured requests: set by the server\'s latency' : `measured requests: ${l.totalExact ? '' : 'about '}${l.totalRequests}`;
  out.push(`    ${total}${warmup}`);
  const t = w.timeouts;
  const limits = t.firstTokenS === t.totalS && t.idleS === t.totalS ? `${t.totalS} s in all (no separate first-token or idle limit)` : `${t.totalS} s in all, ${t.firstTokenS} s to the first token, ${t.idleS} s between chunks`;
  const drain = w.drainS === null ? '' : `; a time-bound stage awaits its requests in flight up to ${w.drainS} s`;
  out.push(`    request time limits: ${limits}, ${t.connectS} s to connect${drain}`);
  const d = w.data;
  const tok = d.tokenizer;
  const exactness =
    model === null ? 'chosen for the model the server names at run time'
    : tok.exact ? `${model}'s own`
    : tok.kind === 'stand-in' ? 'a stand-in, approximate on the server'
    : `approximate for ${model}: the server counts with its own`;
  out.push(`    data: ${d.type} ${show(withoutType(d.config))}`, `      tokenizer ${tok.name} (${exactness})${tok.note ? `: ${tok.note}` : ''}`);
  if (d.cells.length > 1) out.push(`      cells: ${d.cells.join('; ')}`);
  if (d.summary) out.push(`      ${d.summary}`);
  if (d.sample) {
    const s = d.sample;
    const seed = s.seedPinned ? `seed ${s.seed}, the run's own` : `seed ${s.seed}; the run draws a fresh one, as data.seed is unset`;
    const chat = w.api === 'chat' ? '; input tokens as the server counts them, the chat template included' : '';
    out.push(
      `      sample of the first ${s.prompts} measured prompts (${seed}${chat}):`,
      ...table([['', 'mean', 'p50', 'p90', 'min', 'max'], statsRow('input tokens', s.inputTokens), statsRow('max_tokens', s.maxTokens)]).map((r) => `        ${r}`),
    );
  }
  if (d.sessions) {
    const s = d.sessions;
    out.push(
      `      multi-turn sessions: the load starts sessions (its request counts count sessions); every turn carries the conversation so far and header ${s.header}`,
      `      sample of the first ${s.sessions} sessions:`,
      ...table([
        ['', 'mean', 'p50', 'p90', 'min', 'max'],
        statsRow('turns', s.turns),
        statsRow('system tokens', s.systemTokens),
        statsRow('turn tokens', s.turnTokens),
        statsRow('max_tokens', s.maxTokens),
        ...(s.thinkMs ? [statsRow('think time ms', s.thinkMs)] : []),
        statsRow('last turn tokens', s.lastTurnTokens),
      ]).map((r) => `        ${r}`),
    );
  }
  const slo = w.slo.limits.map((x) => `${x.name} <= ${x.max} ${x.unit}${x.judged ? '' : ` (${x.note})`}`);
  out.push(
    `    SLO asserted: ${w.slo.profile}: ${slo.join(', ') || 'no latency limits'}; success rate >= ${pct(w.slo.minSuccessRate)}; schedule lag p99 <= ${w.slo.maxScheduleLagP99Ms} ms and requests overlapping a client stall <= ${pct(w.slo.maxStalledShare)} (else the numbers are invalid and the test fails)`,
  );
  out.push(...noEffectLines(w.noEffect, '    '));
  if (w.notes.length) out.push('    how the file was read:', ...w.notes.map((n) => `      ${n.path}: ${show(n.value)}: ${n.source.replace(/^[^:]*: /, '')}`));
  if (w.overrides.length) out.push('    replaced by the environment:', ...w.overrides.map((o) => `      ${overrideLine(o)}`));
  return out;
}

function stageTable(stages: readonly PlannedStage[]): string[] {
  const rows = [['stage', 'pause before', 'rate', 'concurrency', 'duration', 'requests', '']];
  for (const s of stages) {
    rows.push([
      s.label,
      s.pauseBeforeS > 0 ? `${s.pauseBeforeS} s` : '-',
      s.rate === null ? '-' : `${s.rate}/s`,
      s.concurrency === null ? '-' : String(s.concurrency),
      s.durationS === null ? '-' : `${s.durationS} s`,
      s.requests === null ? '?' : `${s.exact ? '' : '~'}${s.requests}`,
      s.basis,
    ]);
  }
  return table(rows, new Set([0, 6]));
}

function noEffectLines(keys: readonly NoEffectKey[], indent: string): string[] {
  if (keys.length === 0) return [];
  return [`${indent}accepted, no effect:`, ...keys.map((k) => `${indent}  ${k.path}: ${show(k.value)}: ${k.reason}`)];
}

function overrideLine(o: ConfigOverride): string {
  return `${o.path} = ${show(o.value)} (${o.source})`;
}

function statsRow(label: string, s: LengthStats): string[] {
  return [label, num(s.mean), num(s.p50), num(s.p90), num(s.min), num(s.max)];
}

/** Columns padded to their widest cell: those in `left` left-aligned (text), the others right-aligned (numbers). */
function table(rows: string[][], left: ReadonlySet<number> = new Set([0])): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
}

function withoutType(config: Record<string, unknown>): Record<string, unknown> {
  const { type: _type, ...rest } = config;
  return rest;
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

function pct(x: number): string {
  return `${Number((x * 100).toFixed(2))}%`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}
