import { describe, expect, test } from 'vitest';
import { counterDelta, counterValue, seriesKey } from '../../lib/server-metrics/counters.ts';
import { parsePromText, type PromSample } from '../../lib/server-metrics/prom-text.ts';

function samples(text: string): PromSample[] {
  const r = parsePromText(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.samples;
}

const M = 'model_name';
const before = samples(`# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{model_name="a",engine="0"} 1000.0
vllm:prefix_cache_queries_total{model_name="a",engine="1"} 500.0
vllm:prefix_cache_queries_total{model_name="b",engine="0"} 7.0
`);

describe('counterValue', () => {
  test('sums the series matching the filter; with no filter, every series', () => {
    expect(counterValue(before, 'vllm:prefix_cache_queries_total', { [M]: 'a' })).toEqual({
      name: 'vllm:prefix_cache_queries_total',
      value: 1500,
      series: { '{engine="0",model_name="a"}': 1000, '{engine="1",model_name="a"}': 500 },
    });
    expect(counterValue(before, 'vllm:prefix_cache_queries_total')).toMatchObject({ value: 1507 });
    expect(counterValue(before, 'vllm:prefix_cache_queries_total', { [M]: 'a', engine: '1' })).toMatchObject({ value: 500 });
  });

  test('finds a counter by its name with or without _total', () => {
    expect(counterValue(before, 'vllm:prefix_cache_queries', { [M]: 'b' })).toMatchObject({ value: 7 });
    const bare = samples('hits{m="x"} 3\n');
    expect(counterValue(bare, 'hits_total')).toMatchObject({ name: 'hits', value: 3 });
  });

  test('a missing counter, or no series with those labels (the values seen listed)', () => {
    expect(counterValue(before, 'vllm:prefix_cache_hits_total')).toEqual({ ok: false, reason: 'no vllm:prefix_cache_hits_total series' });
    expect(counterValue(before, 'vllm:prefix_cache_queries_total', { [M]: 'c' })).toEqual({
      ok: false,
      reason: 'no vllm:prefix_cache_queries_total series with {model_name="c"} (seen model_name: a, b)',
    });
  });

  test('a value that is not a counter value, or a series given twice', () => {
    expect(counterValue(samples('x_total NaN\n'), 'x')).toEqual({ ok: false, reason: 'x_total{} is NaN, not a counter value' });
    expect(counterValue(samples('x_total -1\n'), 'x')).toMatchObject({ ok: false });
    expect(counterValue(samples('x_total{a="1"} 1\nx_total{a="1"} 2\n'), 'x')).toEqual({ ok: false, reason: 'x_total{a="1"} appears twice (lines 1, 2)' });
  });
});

describe('counterDelta', () => {
  test('after - before over the matching series', () => {
    const after = samples(`vllm:prefix_cache_queries_total{model_name="a",engine="0"} 1800.0
vllm:prefix_cache_queries_total{model_name="a",engine="1"} 650.0
vllm:prefix_cache_queries_total{model_name="b",engine="0"} 9.0
`);
    expect(counterDelta(before, after, 'vllm:prefix_cache_queries_total', { [M]: 'a' })).toEqual({
      ok: true,
      name: 'vllm:prefix_cache_queries_total',
      delta: 950,
      before: 1500,
      after: 2450,
      added: [],
    });
  });

  test('a series that appeared during the window counts from 0, and is listed', () => {
    const after = samples(`vllm:prefix_cache_queries_total{model_name="a",engine="0"} 1000.0
vllm:prefix_cache_queries_total{model_name="a",engine="1"} 500.0
vllm:prefix_cache_queries_total{model_name="a",engine="2"} 40.0
`);
    expect(counterDelta(before, after, 'vllm:prefix_cache_queries_total', { [M]: 'a' })).toMatchObject({ ok: true, delta: 40, added: ['{engine="2",model_name="a"}'] });
    // No series at all before (the server's first request came within the window).
    expect(counterDelta([], after, 'vllm:prefix_cache_queries_total', { [M]: 'a' })).toMatchObject({ ok: true, delta: 1540, before: 0 });
  });

  test('a counter that went down or disappeared was reset: no delta, the reason says so', () => {
    const restarted = samples(`vllm:prefix_cache_queries_total{model_name="a",engine="0"} 30.0
vllm:prefix_cache_queries_total{model_name="a",engine="1"} 600.0
`);
    expect(counterDelta(before, restarted, 'vllm:prefix_cache_queries_total', { [M]: 'a' })).toEqual({
      ok: false,
      reason: 'counter reset: vllm:prefix_cache_queries_total{engine="0",model_name="a"} went down from 1000 to 30 between the scrapes (server restarted?)',
    });
    const gone = samples('vllm:prefix_cache_queries_total{model_name="a",engine="0"} 1200.0\n');
    expect(counterDelta(before, gone, 'vllm:prefix_cache_queries_total', { [M]: 'a' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^counter reset: .*engine="1".* disappeared between the scrapes/),
    });
  });

  test('missing after the run, or unreadable before it', () => {
    expect(counterDelta(before, [], 'vllm:prefix_cache_hits_total')).toEqual({ ok: false, reason: 'after the run: no vllm:prefix_cache_hits_total series' });
    expect(counterDelta(samples('x_total NaN\n'), samples('x_total 1\n'), 'x')).toEqual({ ok: false, reason: 'before the run: x_total{} is NaN, not a counter value' });
  });
});

test('seriesKey sorts labels and quotes values', () => {
  expect(seriesKey({ b: '2', a: 'x"y' })).toBe('{a="x\\"y",b="2"}');
  expect(seriesKey({})).toBe('{}');
});
