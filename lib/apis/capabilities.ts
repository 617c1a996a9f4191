import type { Capabilities } from './adapter.ts';

/**
 * What each backend accepts, so requests carry only parameters the server understands (OpenAI
 * rejects unknown ones such as `ignore_eos`). A target's `capabilities` overrides these.
 */
export const BACKEND_CAPABILITIES: Record<string, Capabilities> = {
  vllm: { ignore_eos: true, include_usage: true, continuous_usage_stats: true, max_tokens_field: 'max_tokens' },
  'llm-d': { ignore_eos: true, include_usage: true, continuous_usage_stats: true, max_tokens_field: 'max_tokens' },
  sglang: { ignore_eos: true, include_usage: true, continuous_usage_stats: false, max_tokens_field: 'max_tokens' },
  tgi: { ignore_eos: false, include_usage: true, continuous_usage_stats: false, max_tokens_field: 'max_tokens' },
  ollama: { ignore_eos: false, include_usage: true, continuous_usage_stats: false, max_tokens_field: 'max_tokens' },
  'llama.cpp': { ignore_eos: true, include_usage: true, continuous_usage_stats: false, max_tokens_field: 'max_tokens' },
  lmstudio: { ignore_eos: false, include_usage: true, continuous_usage_stats: false, max_tokens_field: 'max_tokens' },
  openai: {
    ignore_eos: false,
    include_usage: true,
    continuous_usage_stats: false,
    max_tokens_field: 'max_completion_tokens',
  },
  other: { ignore_eos: false, include_usage: true, continuous_usage_stats: false, max_tokens_field: 'max_tokens' },
};

/** A backend's capabilities with a target's overrides applied. */
export function capabilitiesFor(backend: string, overrides?: Partial<Capabilities>): Capabilities {
  return { ...(BACKEND_CAPABILITIES[backend] ?? BACKEND_CAPABILITIES.other!), ...overrides };
}
