/**
 * Reading counters out of scrapes: a counter's value summed over the series that match a label
 * filter (`{ model_name: 'Qwen/Qwen3-0.6B' }`), and its increase between two scrapes of the same
 * server. A counter that went down between the scrapes was reset (the server restarted, or a
 * replica behind the URL changed): the increase is then unknown, and the result says so instead
 * of returning a wrong number.
 */
import type { PromSample } from './prom-text.ts';
import type { LabelFilter } from '../report/server-metrics.ts';

export type { LabelFilter };

/** A counter summed over the matching series of one scrape. */
export interface CounterValue {
  /** The sample name that matched (`x_total`, or `x` when the server writes it without the suffix). */
  name: string;
  value: number;
  /** Matching series, by their label text (`{engine="0",model_name="m"}`). */
  series: Record<string, number>;
}

/** Why a counter could not be read or differenced. */
export interface CounterProblem {
  ok: false;
  reason: string;
}

/** The increase of a counter between two scrapes. */
export interface CounterDelta {
  ok: true;
  name: string;
  /** Sum over the matching series of after - before. */
  delta: number;
  before: number;
  after: number;
  /** Series present only in the later scrape (counted from 0: created within the window). */
  added: string[];
}

/** `{a="1",b="2"}`: the labels sorted by name, as a stable series key. */
export function seriesKey(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',')}}`;
}

function matches(labels: Record<string, string>, filter: LabelFilter): boolean {
  for (const [k, v] of Object.entries(filter)) if (labels[k] !== v) return false;
  return true;
}

/**
 * Samples of counter `name` (with or without `_total`: the 0.0.4 text format writes counters
 * with it, some exporters without) matching `filter`.
 */
export function counterSeries(samples: readonly PromSample[], name: string, filter: LabelFilter = {}): { name: string; samples: PromSample[] } {
  const base = name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
  for (const candidate of [`${base}_total`, base]) {
    const all = samples.filter((s) => s.name === candidate);
    if (all.length > 0) return { name: candidate, samples: all.filter((s) => matches(s.labels, filter)) };
  }
  return { name: `${base}_total`, samples: [] };
}

/**
 * A counter's value summed over the series matching `filter`, or why there is none: no such
 * counter, no series with those labels (the label values seen are listed), or a value that is
 * not a finite non-negative number.
 */
export function counterValue(samples: readonly PromSample[], name: string, filter: LabelFilter = {}): CounterValue | CounterProblem {
  const found = counterSeries(samples, name, filter);
  if (found.samples.length === 0) {
    const any = samples.filter((s) => s.name === found.name);
    if (any.length === 0) return { ok: false, reason: `no ${found.name} series` };
    const seen = Object.keys(filter)
      .map((k) => `${k}: ${[...new Set(any.map((s) => s.labels[k] ?? '(none)'))].join(', ')}`)
      .join('; ');
    return { ok: false, reason: `no ${found.name} series with ${seriesKey(filter)} (seen ${seen})` };
  }
  const series: Record<string, number> = {};
  let value = 0;
  for (const s of found.samples) {
    if (!Number.isFinite(s.value) || s.value < 0) return { ok: false, reason: `${found.name}${seriesKey(s.labels)} is ${s.value}, not a counter value` };
    const key = seriesKey(s.labels);
    if (Object.hasOwn(series, key)) return { ok: false, reason: `${found.name}${key} appears twice (lines ${found.samples.filter((x) => seriesKey(x.labels) === key).map((x) => x.line).join(', ')})` };
    series[key] = s.value;
    value += s.value;
  }
  return { name: found.name, value, series };
}

/**
 * The increase of counter `name` over the series matching `filter`, from scrape `before` to
 * scrape `after` of the same server. A series that decreased or disappeared means a reset:
 * the result is a problem naming it, not a number.
 */
export function counterDelta(
  before: readonly PromSample[],
  after: readonly PromSample[],
  name: string,
  filter: LabelFilter = {},
): CounterDelta | CounterProblem {
  const a = counterValue(after, name, filter);
  if ('ok' in a) return { ok: false, reason: `after the run: ${a.reason}` };
  // A counter with no matching series before the run was created during it (a server's first
  // request): it counts from 0.
  const none = counterSeries(before, name, filter).samples.length === 0;
  const b = none ? { name: a.name, value: 0, series: {} as Record<string, number> } : counterValue(before, name, filter);
  if ('ok' in b) return { ok: false, reason: `before the run: ${b.reason}` };
  const prior = b;
  const added: string[] = [];
  for (const [key, was] of Object.entries(prior.series)) {
    const now = a.series[key];
    if (now === undefined) return { ok: false, reason: `counter reset: ${a.name}${key} disappeared between the scrapes (was ${was}; server restarted or replaced?)` };
    if (now < was) return { ok: false, reason: `counter reset: ${a.name}${key} went down from ${was} to ${now} between the scrapes (server restarted?)` };
  }
  for (const key of Object.keys(a.series)) if (!Object.hasOwn(prior.series, key)) added.push(key);
  return { ok: true, name: a.name, delta: a.value - prior.value, before: prior.value, after: a.value, added };
}
