/**
 * Input and output lengths, configured and realized, for every report: the configured
 * distribution comes from the workload's data config (for chat prompts it is what the server
 * should count, template included: the data sources size the text for it); the realized one is
 * what the requests had: `usage.prompt_tokens` / `usage.completion_tokens` from the server, else
 * the client tokenizer's count, and the reports say which. The shape is llm-d-benchmark's
 * `SequenceLength` (`br_v0_2_1_json_schema.json`: distribution fixed | gaussian | uniform | other,
 * value, std_dev, min, max), so the benchmark report can carry either.
 */
import type { RunStats } from '../report/model.ts';
import type { Summary } from '../stats/summary.ts';
import type { TestReport } from '../report/model.ts';

/** A length distribution in the benchmark report's `SequenceLength` shape. */
export type SeqLen = { distribution: 'fixed' | 'gaussian' | 'uniform' | 'other'; value: number; std_dev?: number; min?: number; max?: number };

/** What the data config says about lengths. */
export interface ConfiguredShape {
  /** `random` for generated prompts, `sampled` for a dataset, `unknown` without a data config. */
  source: 'random' | 'sampled' | 'unknown';
  /** Configured input length; null when the prompts come from a dataset (their lengths are the file's). */
  input: SeqLen | null;
  /** Configured max_tokens; null when each request's comes from the dataset. */
  output: SeqLen | null;
  /** The shared prefix of `shared_prefix` data, in the benchmark report's `LoadPrefix` shape. */
  prefix: Record<string, unknown> | null;
  /** In words, for a dataset: which conversations are kept (`dataset prompts of 10..1024 tokens`). */
  note: string | null;
}

/**
 * A configured length in the benchmark report's terms: a number is `fixed`; a distribution
 * without `type` (a truncated normal) or of type `normal` is `gaussian`, `uniform` is `uniform`,
 * `fixed` is int(mean), and the other inference-perf types are `other` with their parameters.
 */
function shapeLen(x: unknown): SeqLen | null {
  if (typeof x === 'number') return { distribution: 'fixed', value: x };
  const g = x as { type?: string; min: number; max: number; mean: number; std: number } | undefined;
  if (!g || typeof g !== 'object') return null;
  if (g.type === 'fixed') return { distribution: 'fixed', value: Math.trunc(g.mean) };
  if (g.type === 'uniform') return { distribution: 'uniform', value: (g.min + g.max) / 2, min: g.min, max: g.max };
  if ((g.type === undefined || g.type === 'normal') && g.std === 0) return { distribution: 'fixed', value: Math.min(g.max, Math.max(g.min, Math.round(g.mean))) };
  // A skew normal's `mean` is its location: its mean lies std·δ·√(2/π) beyond it (δ = skew / √(1 + skew²)), before the clip.
  const skew = (g as { skew?: number }).skew ?? 0;
  const value = g.type === 'skew_normal' ? g.mean + g.std * (skew / Math.sqrt(1 + skew * skew)) * Math.sqrt(2 / Math.PI) : g.mean;
  return { distribution: g.type === undefined || g.type === 'normal' ? 'gaussian' : 'other', value, std_dev: g.std, min: g.min, max: g.max };
}

/** Fixed when all equal, else `other` with the weighted mean and the range. */
export function fromValues(values: Array<[number, number]>): SeqLen | null {
  if (values.length === 0) return null;
  const lens = values.map(([v]) => v);
  const min = Math.min(...lens);
  const max = Math.max(...lens);
  if (min === max) return { distribution: 'fixed', value: min };
  const w = values.reduce((a, [, x]) => a + x, 0);
  const mean = values.reduce((a, [v, x]) => a + v * x, 0) / w;
  return { distribution: 'other', value: Number(mean.toFixed(3)), min, max };
}

/** `prompt=50,max_tokens=100` → [50, 100]. */
function parseCell(cell: string): [number, number] | null {
  const m = /prompt=(\d+),max_tokens=(\d+)/.exec(cell);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

const nums = (x: unknown): number[] => (Array.isArray(x) ? (x as number[]) : typeof x === 'number' ? [x] : []);

/** Configured lengths per data type, keyed by the registry literal; null when the config lacks them. */
const CONFIGURED: Record<string, (c: Record<string, unknown>) => ConfiguredShape | null> = {
  synthetic: (c) => {
    const p = nums(c.prompt_tokens);
    const m = nums(c.max_tokens);
    // Cells are the cross product, cycled evenly: each length weighs alike.
    return p.length && m.length ? { source: 'random', input: fromValues(p.map((v) => [v, 1])), output: fromValues(m.map((v) => [v, 1])), prefix: null, note: null } : null;
  },
  isl_osl: (c) => {
    const pairs = (c.pairs as Array<[number, number]> | undefined) ?? [];
    return pairs.length ? { source: 'random', input: fromValues(pairs.map(([i]) => [i, 1])), output: fromValues(pairs.map(([, o]) => [o, 1])), prefix: null, note: null } : null;
  },
  mix: (c) => {
    const comps = (c.components as Array<{ share: number; prompt_tokens: number; max_tokens: number }> | undefined) ?? [];
    if (!comps.length) return null;
    return { source: 'random', input: fromValues(comps.map((x) => [x.prompt_tokens, x.share])), output: fromValues(comps.map((x) => [x.max_tokens, x.share])), prefix: null, note: null };
  },
  random: (c) => {
    const input = shapeLen(c.input_distribution);
    return input ? { source: 'random', input, output: shapeLen(c.output_distribution), prefix: null, note: null } : null;
  },
  shared_prefix: (c) => {
    const sys = shapeLen(c.system_prompt_len);
    const q = shapeLen(c.question_len);
    if (!sys || !q) return null;
    const input: SeqLen =
      sys.distribution === 'fixed' && q.distribution === 'fixed'
        ? { distribution: 'fixed', value: sys.value + q.value }
        : { distribution: 'other', value: sys.value + q.value, min: (sys.min ?? sys.value) + (q.min ?? q.value), max: (sys.max ?? sys.value) + (q.max ?? q.value) };
    return {
      source: 'random',
      input,
      output: shapeLen(c.output_len),
      prefix: { prefix_len: sys, num_groups: c.num_groups as number, num_users_per_group: c.num_prompts_per_group as number, num_prefixes: 1 },
      note: null,
    };
  },
  sharegpt: (c) => {
    const f = c.length_filter as { input?: { min: number; max: number }; output?: { min: number; max: number } } | undefined;
    const range = (r: { min: number; max: number } | undefined, what: string): string | null => (r ? `${what} ${r.min}..${r.max} tokens` : null);
    const kept = f
      ? [range(f.input, 'prompts'), range(f.output, 'replies')].filter(Boolean).join(', ') || 'every non-empty prompt'
      : `prompts ${4}..${(c.max_prompt_tokens as number | undefined) ?? 1024} tokens, prompt + output <= ${(c.max_total_tokens as number | undefined) ?? 2048}`;
    return {
      source: 'sampled',
      input: null,
      output: typeof c.output_len === 'number' ? { distribution: 'fixed', value: c.output_len } : null,
      prefix: null,
      note: `dataset ${String(c.path)}, kept: ${kept}${typeof c.output_len === 'number' ? '' : "; max_tokens is each reply's token count"}`,
    };
  },
};

/** The workload's configured lengths, from its data config (else its cells). */
export function configuredShape(data: TestReport['workload']['data']): ConfiguredShape {
  const shape = data.config && Object.hasOwn(CONFIGURED, data.type) ? CONFIGURED[data.type]!(data.config as Record<string, unknown>) : null;
  if (shape) return shape;
  const cells = data.cells.map(parseCell).filter((x): x is [number, number] => x !== null);
  if (cells.length && cells.length === data.cells.length) {
    return { source: 'random', input: fromValues(cells.map(([i]) => [i, 1])), output: fromValues(cells.map(([, o]) => [o, 1])), prefix: null, note: null };
  }
  return { source: data.type === 'sharegpt' ? 'sampled' : 'unknown', input: null, output: null, prefix: null, note: null };
}

/** A realized length distribution: fixed when every request had the same, else `other` with mean, spread and range; null without samples. */
export function realizedSeqLen(s: Summary): SeqLen | null {
  if (s.count === 0 || s.mean === null || s.min === null || s.max === null) return null;
  if (s.min === s.max) return { distribution: 'fixed', value: s.min };
  const out: SeqLen = { distribution: 'other', value: Number(s.mean.toFixed(3)), min: Math.floor(s.min), max: Math.ceil(s.max) };
  if (s.stddev !== null) out.std_dev = Number(s.stddev.toFixed(3));
  return out;
}

/** `fixed 100`, `gaussian mean 512 sd 200 in 10..1024`, `mean 300.5 sd 12 in 100..500`. */
export function describeSeqLen(d: SeqLen | null): string {
  if (!d) return '-';
  if (d.distribution === 'fixed') return `fixed ${d.value}`;
  const sd = d.std_dev === undefined ? '' : ` sd ${d.std_dev}`;
  const range = d.min === undefined || d.max === undefined ? '' : ` in ${d.min}..${d.max}`;
  return `${d.distribution === 'other' ? '' : `${d.distribution} `}mean ${d.value}${sd}${range}`;
}

/**
 * Where realized lengths come from: `server usage.prompt_tokens`, `client tokenizer (no usage from
 * the server)`, `client tokenizer (server usage overruled)` when every tokenizer count replaced a
 * server count it disagreed with, or both with counts.
 */
export function lengthSource(src: { server: number; tokenizer: number; unknown?: number }, field: string, overruled = 0): string {
  const unknown = src.unknown ?? 0;
  if (src.tokenizer === 0 && unknown === 0) return `server usage.${field}`;
  if (src.server === 0 && unknown === 0) return overruled === src.tokenizer ? 'client tokenizer (server usage overruled)' : 'client tokenizer (no usage from the server)';
  return `server usage.${field} on ${src.server}, client tokenizer on ${src.tokenizer}${unknown ? `, unknown on ${unknown}` : ''}`;
}

/** Configured and realized lengths of a test, for the summary, the table and the HTML report. */
export interface LengthReport {
  input: { configured: SeqLen | null; realized: SeqLen | null; source: string };
  output: { configured: SeqLen | null; realized: SeqLen | null; source: string };
  /** For a dataset: which of its conversations were kept. */
  dataset: string | null;
}

/** Configured next to realized input and output lengths. */
export function lengthReport(r: TestReport, stats: RunStats): LengthReport {
  const shape = configuredShape(r.workload.data);
  return {
    input: { configured: shape.input, realized: realizedSeqLen(stats.tokens.input), source: lengthSource(stats.tokens.inputSource, 'prompt_tokens') },
    output: { configured: shape.output, realized: realizedSeqLen(stats.tokens.output), source: lengthSource(stats.tokens.outputSource, 'completion_tokens', stats.tokens.usageOverruled ?? 0) },
    dataset: shape.note,
  };
}

/** `input tokens: configured fixed 100, realized fixed 100 (server usage.prompt_tokens)`, one line per side. */
export function lengthLines(l: LengthReport): string[] {
  const line = (side: 'input' | 'output'): string => {
    const x = l[side];
    const configured = x.configured ? describeSeqLen(x.configured) : side === 'input' && l.dataset ? 'from the dataset' : side === 'output' && l.dataset ? "each reply's length" : '-';
    return `${side} tokens: configured ${configured}; realized ${describeSeqLen(x.realized)} (${x.source})`;
  };
  return [line('input'), line('output'), ...(l.dataset ? [l.dataset] : [])];
}
