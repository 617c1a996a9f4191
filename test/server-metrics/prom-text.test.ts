import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { familyOf, parsePromText, parsePromValue, type PromText } from '../../lib/server-metrics/prom-text.ts';
import { type SimServer, startSimServer } from '../../sim/vllm/server.ts';

function parsed(text: string): PromText {
  const r = parsePromText(text);
  if (!r.ok) throw new Error(`line ${r.error.line}: ${r.error.message}`);
  return r.value;
}

function error(text: string): { line: number; message: string; text: string } {
  const r = parsePromText(text);
  if (r.ok) throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
  return r.error;
}

describe("the simulator's own /metrics", () => {
  let sim: SimServer;
  let text: string;
  const model = 'Qwen/Qwen3-0.6B';

  beforeAll(async () => {
    sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words', block_size: 16 });
    // 40 words: two full blocks; the second request hits both.
    const prompt = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${sim.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt, max_tokens: 3 }) });
      await res.text();
    }
    text = await (await fetch(`${sim.url}/metrics`)).text();
  });
  afterAll(() => sim.close());

  test('parses completely: one sample per sample line, every family typed, with its help', () => {
    const { samples, families } = parsed(text);
    const sampleLines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toHaveLength(sampleLines.length);
    expect(samples.length).toBeGreaterThan(100);
    for (const s of samples) {
      const family = families[familyOf(s.name, families)];
      expect(family?.type, s.name).not.toBeNull();
    }
    expect(families['vllm:prefix_cache_hits_total']).toEqual({ type: 'counter', help: 'Prefix cache hits, in terms of number of cached tokens.' });
    expect(families['vllm:time_to_first_token_seconds']?.type).toBe('histogram');
    expect(familyOf('vllm:time_to_first_token_seconds_bucket', families)).toBe('vllm:time_to_first_token_seconds');
  });

  test('reads labels and values as the simulator wrote them', () => {
    const { samples } = parsed(text);
    const one = (name: string) => samples.filter((s) => s.name === name);
    expect(one('vllm:prefix_cache_queries_total')).toEqual([{ name: 'vllm:prefix_cache_queries_total', labels: { model_name: model, engine: '0' }, value: 80, timestampMs: null, line: expect.any(Number) }]);
    expect(one('vllm:prefix_cache_hits_total')[0]!.value).toBe(32);
    expect(one('vllm:cache_config_info')[0]!.labels).toEqual({ block_size: '16', enable_prefix_caching: 'True', num_gpu_blocks: '16384', engine: '0' });
    const inf = one('vllm:time_to_first_token_seconds_bucket').find((s) => s.labels.le === '+Inf');
    expect(inf?.value).toBe(2);
    // Line numbers point at the text.
    const hits = one('vllm:prefix_cache_hits_total')[0]!;
    expect(text.split('\n')[hits.line - 1]).toMatch(/^vllm:prefix_cache_hits_total\{/);
  });
});

// An excerpt in the shape vLLM 0.10's prometheus_client serves (process and GC families,
// `_created` samples, info-style gauges with many labels).
const VLLM_EXCERPT = `# HELP python_gc_objects_collected_total Objects collected during gc
# TYPE python_gc_objects_collected_total counter
python_gc_objects_collected_total{generation="0"} 12890.0
python_gc_objects_collected_total{generation="1"} 1566.0
# HELP process_virtual_memory_bytes Virtual memory size in bytes.
# TYPE process_virtual_memory_bytes gauge
process_virtual_memory_bytes 2.4361705472e+010
# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
# TYPE vllm:cache_config_info gauge
vllm:cache_config_info{block_size="16",cache_dtype="auto",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",num_gpu_blocks="27458",prefix_caching_hash_algo="builtin"} 1.0
# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.310720e+05
# HELP vllm:prefix_cache_queries_created Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_created gauge
vllm:prefix_cache_queries_created{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.7541e+09
# HELP vllm:request_queue_time_seconds Histogram of time spent in WAITING phase for request.
# TYPE vllm:request_queue_time_seconds histogram
vllm:request_queue_time_seconds_sum{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.31
vllm:request_queue_time_seconds_bucket{engine="0",le="0.3",model_name="meta-llama/Llama-3.1-8B-Instruct"} 64.0
vllm:request_queue_time_seconds_bucket{engine="0",le="+Inf",model_name="meta-llama/Llama-3.1-8B-Instruct"} 64.0
vllm:request_queue_time_seconds_count{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 64.0
`;

describe('parsePromText', () => {
  test('a vLLM excerpt: exponent values, _created gauges, many labels', () => {
    const { samples, families } = parsed(VLLM_EXCERPT);
    expect(samples).toHaveLength(10);
    expect(samples.find((s) => s.name === 'process_virtual_memory_bytes')?.value).toBe(24361705472);
    expect(samples.find((s) => s.name === 'vllm:prefix_cache_queries_total')?.value).toBe(131072);
    expect(samples.find((s) => s.name === 'vllm:cache_config_info')?.labels.prefix_caching_hash_algo).toBe('builtin');
    expect(familyOf('vllm:request_queue_time_seconds_sum', families)).toBe('vllm:request_queue_time_seconds');
    expect(familyOf('vllm:prefix_cache_queries_created', families)).toBe('vllm:prefix_cache_queries_created');
  });

  test('the format spec example, with timestamps, escapes, NaN and infinities', () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# Escaping in label values:',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      '',
      '# Minimalistic line:',
      'metric_without_timestamp_and_labels 12.47',
      '',
      '# A weird metric from before the epoch:',
      'something_weird{problem="division by zero"} +Inf -3982045',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{quantile="0.01"} 3102',
      'rpc_duration_seconds_sum 1.7560473e+07',
      'not_a_number NaN',
      'negative_inf -Inf',
    ].join('\n');
    const { samples, families } = parsed(text);
    expect(samples.map((s) => [s.name, s.value, s.timestampMs])).toEqual([
      ['http_requests_total', 1027, 1395066363000],
      ['http_requests_total', 3, 1395066363000],
      ['msdos_file_access_time_seconds', 1458255915, null],
      ['metric_without_timestamp_and_labels', 12.47, null],
      ['something_weird', Number.POSITIVE_INFINITY, -3982045],
      ['rpc_duration_seconds', 3102, null],
      ['rpc_duration_seconds_sum', 17560473, null],
      ['not_a_number', Number.NaN, null],
      ['negative_inf', Number.NEGATIVE_INFINITY, null],
    ]);
    expect(samples[2]!.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(samples.map((s) => s.line)).toEqual([3, 4, 7, 10, 13, 15, 16, 17, 18]);
    expect(families.http_requests_total).toEqual({ type: 'counter', help: 'The total number of HTTP requests.' });
    expect(families.rpc_duration_seconds).toEqual({ type: 'summary', help: null });
    expect(familyOf('rpc_duration_seconds_sum', families)).toBe('rpc_duration_seconds');
  });

  test('label values may hold braces, commas, equals signs and hashes; blanks around tokens; a trailing comma; empty braces', () => {
    const { samples } = parsed(
      [
        'a{x="}{,=#",y=""} 1',
        'b { x = "1" , y="2", } 2',
        'c{} 3 # {trace_id="abc"} 1.0 1600000000.1',
        '\tindented\t4\t',
        'crlf{x="1"} 5\r',
        'help_escaped_label{x="a\\\\nb"} 6',
      ].join('\n'),
    );
    expect(samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['a', { x: '}{,=#', y: '' }, 1],
      ['b', { x: '1', y: '2' }, 2],
      ['c', {}, 3],
      ['indented', {}, 4],
      ['crlf', { x: '1' }, 5],
      ['help_escaped_label', { x: 'a\\nb' }, 6],
    ]);
  });

  test('HELP text unescapes \\\\ and \\n; a repeated HELP keeps the first; a repeated TYPE must agree', () => {
    const { families } = parsed('# HELP x A \\\\ path\\nnext\n# HELP x other\n# TYPE x gauge\n# TYPE x gauge\nx 1\n');
    expect(families.x).toEqual({ type: 'gauge', help: 'A \\ path\nnext' });
    expect(error('# TYPE x gauge\n# TYPE x counter\n')).toMatchObject({ line: 2, message: 'second TYPE line for x says counter, the first said gauge' });
  });

  test('OpenMetrics: # EOF ends the exposition; exemplars are skipped', () => {
    const { samples } = parsed('# TYPE a counter\na_total 1 # {id="x"} 2\n# EOF\ngarbage after eof\n');
    expect(samples.map((s) => [s.name, s.value])).toEqual([['a_total', 1]]);
  });

  test('an empty exposition and comment-only text are valid', () => {
    expect(parsed('')).toEqual({ samples: [], families: {} });
    expect(parsed('# just a comment\n\n#\n').samples).toEqual([]);
  });

  test.each([
    ['foo', 1, 'no value for foo'],
    ['foo abc', 1, 'invalid value "abc" for foo'],
    ['foo 1 2 3', 1, 'unexpected text after the value and timestamp of foo: "3"'],
    ['foo 1 1.5', 1, 'invalid timestamp "1.5" for foo (expected integer milliseconds)'],
    ['1foo 1', 1, 'expected a metric name, got "1"'],
    ['ok 1\nfoo{a="b} 1', 2, 'unterminated value of label a'],
    ['foo{a=b} 1', 1, 'expected a quoted value for label a at column 7'],
    ['foo{a="b" c="d"} 1', 1, 'expected "," or "}" after the value of label a at column 11'],
    ['foo{a="\\x"} 1', 1, 'invalid escape "\\x" in the value of label a'],
    ['foo{a="1",a="2"} 1', 1, 'label a given twice'],
    ['foo{1a="1"} 1', 1, 'expected a label name or "}" at column 5'],
    ['foo{a} 1', 1, 'expected "=" after label a at column 6'],
    ['# TYPE foo histogramm', 1, 'unknown metric type "histogramm" for foo (expected counter, gauge, histogram, summary, untyped, unknown, gaugehistogram, stateset, info)'],
    ['# TYPE 9foo counter', 1, 'invalid metric name "9foo" in # TYPE'],
    ['x 1\n\n\nfoo{a="1"}', 4, 'no value for foo'],
  ])('%j: line %i, %s', (text, line, message) => {
    expect(error(text)).toMatchObject({ line, message });
  });

  test('the error quotes the bad line, clipped', () => {
    const long = `foo{a="${'x'.repeat(200)}"} nope`;
    const e = error(long);
    expect(e.text).toHaveLength(121);
    expect(e.text.endsWith('…')).toBe(true);
  });
});

describe('parsePromValue', () => {
  test.each([
    ['1', 1],
    ['-1.5', -1.5],
    ['+3', 3],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1.5E-3', 0.0015],
    ['-0', -0],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['Inf', Number.POSITIVE_INFINITY],
    ['-inf', Number.NEGATIVE_INFINITY],
    ['infinity', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
    ['nan', Number.NaN],
  ])('%s -> %d', (text, value) => {
    expect(parsePromValue(text)).toBe(value);
  });

  test.each(['', 'abc', '1,5', '0x10', '1e', 'e3', '--1', 'Infinit', '1 2'])('%j is not a value', (text) => {
    expect(parsePromValue(text)).toBeNull();
  });
});
