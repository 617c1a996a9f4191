import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { CONTROLLER_METRICS, DEFAULT_METRIC_SETS, flattenMetrics, promString, renderMatchers, renderQuery, VLLM_METRICS } from '../../lib/prom/metric-sets.ts';
import { planRange, PROM_MAX_POINTS } from '../../lib/prom/range-plan.ts';
import { parseQueryData, parseSampleValue, readEnvelope } from '../../lib/prom/result.ts';
import { summarize } from '../../lib/prom/window.ts';

describe('metric sets', () => {
  it('escape filter values in PromQL string literals and pod names in the regex', () => {
    expect(promString('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(renderMatchers({ namespace: 'ns"x', pods: ['vllm-0', 'a.b+c'], model: 'Qwen/Qwen3-0.6B' })).toBe('namespace="ns\\"x",pod=~"vllm-0|a\\\\.b\\\\+c",model_name="Qwen/Qwen3-0.6B"');
    expect(renderMatchers({ podRegex: 'vllm-.*' }, { pod: 'pod' }, 'exported_')).toBe('exported_pod=~"vllm-.*"');
    expect(renderMatchers({ pods: [] }, { pod: 'pod' })).toBe('pod!~".*"');
    expect(renderMatchers({ namespace: 'ns', model: 'm' }, { namespace: 'exported_namespace' })).toBe('exported_namespace="ns"');
    expect(renderMatchers({})).toBe('');
    expect(() => renderMatchers({ namespace: 'x' }, { namespace: 'bad-label' })).toThrow(ConfigError);
  });

  it('fill $filters, $exported_filters, $rate and $window', () => {
    const hit = VLLM_METRICS.metrics.find((m) => m.name === 'vllm.prefixCacheHitRate')!;
    expect(renderQuery(hit, { namespace: 'bench', model: 'm' }, { rateS: 60, windowS: 95.2 })).toBe(
      'rate(vllm:prefix_cache_hits_total{namespace="bench",model_name="m"}[60s]) / rate(vllm:prefix_cache_queries_total{namespace="bench",model_name="m"}[60s])',
    );
    expect(renderQuery(CONTROLLER_METRICS.metrics[1]!, { namespace: 'bench', pods: ['x'] }, { rateS: 4, windowS: 95.2 })).toBe(
      'histogram_quantile(0.5, sum by (path, le) (increase(fma_actuation_seconds_bucket{exported_namespace="bench"}[96s])))',
    );
    expect(renderQuery({ name: 'u', unit: '1', query: 'up{$filters} # "$x"' }, {}, { rateS: 1, windowS: 1 })).toBe('up{} # "$x"');
  });

  it('flatten sets and loose metrics; a duplicate name is a ConfigError', () => {
    const all = flattenMetrics(DEFAULT_METRIC_SETS);
    expect(all.map((m) => m.name)).toEqual([
      'gpu.utilizationPct', 'gpu.memoryUsedMiB', 'gpu.memoryFreeMiB', 'gpu.powerW',
      'vllm.requestsRunning', 'vllm.requestsWaiting', 'vllm.kvCacheUsage', 'vllm.prefixCacheHitRate', 'vllm.requestSuccessRate',
      'controller.actuations', 'controller.actuationP50S', 'controller.actuationP90S', 'controller.actuationP99S',
    ]);
    expect(() => flattenMetrics([...DEFAULT_METRIC_SETS, { name: 'gpu.powerW', unit: 'W', query: 'x' }])).toThrow('metrics: gpu.powerW: defined twice');
  });

  it('summarize over finite points; last is the latest time (mean across series there)', () => {
    expect(summarize([])).toEqual({ min: null, max: null, mean: null, last: null });
    expect(summarize([{ points: [[1, NaN], [2, Infinity]] }])).toEqual({ min: null, max: null, mean: null, last: null });
    expect(summarize([{ points: [[1, 2], [2, 4], [3, NaN]] }, { points: [[1, 6], [2, 8]] }])).toEqual({ min: 2, max: 8, mean: 5, last: 6 });
  });
});

describe('range plan', () => {
  it('keeps one request under the limit, splits beyond it without overlap, grows the step past 8 requests', () => {
    expect(planRange(0, 10_000, 1)).toEqual({ stepS: 1, parts: [{ startMs: 0, endMs: 10_000, stepS: 1 }] });
    const split = planRange(0, 15_000_000, 1);
    expect(split.parts).toEqual([
      { startMs: 0, endMs: 10_999_000, stepS: 1 },
      { startMs: 11_000_000, endMs: 15_000_000, stepS: 1 },
    ]);
    const grown = planRange(0, 30 * 86_400_000, 1);
    expect(grown.stepS).toBe(30);
    expect(grown.parts.length).toBeLessThanOrEqual(8);
    for (const p of grown.parts) expect((p.endMs - p.startMs) / 1000 / grown.stepS + 1).toBeLessThanOrEqual(PROM_MAX_POINTS);
    expect(() => planRange(0, 1, 0)).toThrow(/positive/);
    expect(() => planRange(2, 1, 1)).toThrow(/ends before/);
  });
});

describe('API results', () => {
  it('parse values as numbers, NaN and infinities included', () => {
    expect(['1.5', 'NaN', '+Inf', '-Inf', '1e3', 'x', 5].map(parseSampleValue)).toEqual([1.5, NaN, Infinity, -Infinity, 1000, undefined, undefined]);
    expect(parseQueryData({ resultType: 'vector', result: [{ metric: { a: 'b' }, value: [1700000000.5, '+Inf'] }, { metric: {}, histogram: [1, {}] }] }, [])).toEqual({
      resultType: 'vector',
      result: [{ labels: { a: 'b' }, time: 1700000000.5, value: Infinity }],
      warnings: [],
    });
    expect(readEnvelope({ status: 'error', errorType: 'bad_data', error: 'parse error' })).toEqual({ ok: false, problem: { kind: 'error', errorType: 'bad_data', error: 'parse error' } });
    expect(readEnvelope({ detail: 'Not Found' })).toMatchObject({ ok: false, problem: { kind: 'shape' } });
    expect(() => parseQueryData({ resultType: 'matrix', result: [{ metric: {}, values: [[1, 'abc']] }] }, [])).toThrow('malformed sample value "abc"');
  });
});
