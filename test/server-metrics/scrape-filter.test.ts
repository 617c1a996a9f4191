import { describe, expect, test } from 'vitest';
import { parsePromText } from '../../lib/server-metrics/prom-text.ts';
import { onlySamples } from '../../lib/server-metrics/scrape.ts';

const PAGE = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3.0
# HELP vllm:request_success_total Count of successfully processed requests.
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 12.0
vllm:request_success_total{engine="0",finished_reason="length",model_name="m"} 4.0
# HELP vllm:request_prompt_tokens Number of prefill tokens processed.
# TYPE vllm:request_prompt_tokens histogram
vllm:request_prompt_tokens_bucket{le="1.0",model_name="m"} 0.0
vllm:request_prompt_tokens_sum{model_name="m"} 1000.0
vllm:request_prompt_tokens_count{model_name="m"} 16.0
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-1"} 87
`;

describe('onlySamples', () => {
  test('keeps the named samples with their families\u2019 TYPE and HELP lines, and parses the same as the full page for them', () => {
    const keep = new Set(['vllm:num_requests_running', 'vllm:request_success_total', 'DCGM_FI_DEV_GPU_UTIL']);
    const small = onlySamples(PAGE, keep);
    expect(small).not.toContain('request_prompt_tokens');
    const full = parsePromText(PAGE);
    const part = parsePromText(small);
    if (!full.ok || !part.ok) throw new Error('parse failed');
    const strip = ({ line: _line, ...rest }: { line: number }) => rest;
    expect(part.value.samples.map(strip)).toEqual(full.value.samples.filter((s) => keep.has(s.name)).map(strip));
    expect(Object.fromEntries(Object.entries(part.value.families).map(([k, f]) => [k, f.type]))).toEqual({
      'vllm:num_requests_running': 'gauge',
      'vllm:request_success_total': 'counter',
      DCGM_FI_DEV_GPU_UTIL: 'gauge',
    });
  });
});
