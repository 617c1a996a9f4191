/**
 * Generator of the small Weka and OTel trace samples in examples/data/ (weka-trace-sample.json,
 * otel-trace-sample.json). Deterministic: the committed files are exactly what it writes, which
 * samples.test.ts checks. Regenerate with `npx tsx test/data/conversations/make-samples.ts`.
 *
 * Each sample exercises what its reader must honour: the Weka one shared hash blocks across turns
 * (and a branch that drops one), an idle gap longer than the 60 s cap, and a subagent whose
 * overlapping requests need two streams, one given with times relative to the subagent; the OTel
 * one a growing conversation, microsecond times, a duplicated span, an error span and a tool span
 * that is not an LLM call.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the samples go. */
export const SAMPLE_DIR = fileURLToPath(new URL('../../../examples/data/', import.meta.url));

/** The Weka KV-cache-tester sample: one trace, block size 16. */
export function wekaSample(): object {
  const n = (t: number, inTokens: number, out: number, hash_ids: number[], api_time: number) => ({ t, type: 'n', model: 'claude-sample', in: inTokens, out, hash_ids, api_time });
  return {
    id: 'weka-sample-1',
    models: ['claude-sample'],
    block_size: 16,
    tool_tokens: 0,
    system_tokens: 16,
    requests: [
      n(0.5, 40, 12, [1, 2], 1.2),
      { ...n(3.0, 72, 20, [1, 2, 3, 4], 1.5), type: 's', ttft: 0.2 },
      {
        t: 5.0,
        type: 'subagent',
        agent_id: 'explore',
        subagent_type: 'Explore',
        duration_ms: 4000,
        tool_tokens: 0,
        system_tokens: 0,
        requests: [n(0.2, 33, 8, [90, 91], 2.0), n(1.0, 20, 6, [90], 0.5), n(7.5, 50, 8, [90, 91, 92], 0.5)],
      },
      n(10.0, 100, 16, [1, 2, 3, 4, 5, 6], 2.0),
      n(200.0, 90, 16, [1, 2, 3, 7, 8], 2.0),
    ],
  };
}

const at = (s: string) => `2026-03-01T12:00:${s}`;
const chat = (id: string, start: string, end: string, messages: { role: string; content: string }[], output: string, extra: Record<string, unknown> = {}) => ({
  trace_id: 'otel-sample-1',
  span_id: id,
  parent_span_id: null,
  name: 'chat sample-model',
  kind: 'SPAN_KIND_CLIENT',
  start_time: at(start),
  end_time: at(end),
  attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'sample-model', 'gen_ai.input.messages': JSON.stringify(messages), 'gen_ai.output.text': output, ...extra },
  status: { code: 1, message: '' },
});

/** The OTel agent-trace sample: one session of chat calls, a tool span, an error and a duplicate. */
export function otelSample(): object {
  const sys = { role: 'system', content: 'You are a careful travel planning agent. Answer briefly.' };
  const u1 = { role: 'user', content: 'Plan a day in Lisbon.' };
  const a1 = { role: 'assistant', content: 'Morning in Alfama, lunch in Baixa, sunset at Belem.' };
  const u2 = { role: 'user', content: 'Add a museum.' };
  const a2 = { role: 'assistant', content: 'Add the Gulbenkian Museum after lunch.' };
  const u3 = { role: 'user', content: 'How do I get there by metro?' };
  const first = chat('call-1', '00.000000', '01.250000', [sys, u1], a1.content, { 'gen_ai.usage.completion_tokens': 14 });
  return {
    trace_id: 'otel-sample-1',
    span_count: 6,
    collected_at: '2026-03-01T12:01:00.000000',
    spans: [
      first,
      { ...first },
      { trace_id: 'otel-sample-1', span_id: 'tool-1', parent_span_id: null, name: 'execute_tool search', kind: 'SPAN_KIND_INTERNAL', start_time: at('01.300000'), end_time: at('02.000000'), attributes: { 'gen_ai.operation.name': 'execute_tool' }, status: { code: 1, message: '' } },
      chat('call-2', '02.125250', '03.500000', [sys, u1, a1, u2], a2.content),
      { ...chat('call-err', '03.600000', '03.700000', [sys, u1, a1, u2, a2], ''), status: { code: 2, message: 'rate limited' } },
      chat('call-3', '04.500125', '06.000000', [sys, u1, a1, u2, a2, u3], 'Take the blue line to Sao Sebastiao.', { 'gen_ai.usage.completion_tokens': 9 }),
    ],
  };
}

/** File name and content of each sample. */
export function samples(): Record<string, string> {
  return {
    'weka-trace-sample.json': `${JSON.stringify(wekaSample(), null, 2)}\n`,
    'otel-trace-sample.json': `${JSON.stringify(otelSample(), null, 2)}\n`,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, text] of Object.entries(samples())) writeFileSync(`${SAMPLE_DIR}${name}`, text);
}
