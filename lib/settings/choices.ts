/**
 * The fixed value lists settings choose from, kept here so the registry reads them without
 * loading the schemas that use them too (`config/schema/target.ts`, `k8s/stack-access.ts`
 * re-export them).
 */

/** Server software behind a target; picks default capabilities (see `lib/apis/capabilities.ts`). */
export const BACKENDS = ['vllm', 'llm-d', 'sglang', 'tgi', 'ollama', 'llama.cpp', 'lmstudio', 'openai', 'other'] as const;

/** OpenAI APIs a target can be benchmarked through. */
export const APIS = ['completions', 'chat'] as const;

/** How a provisioned stack is reached, as `BENCH_PROVISION_ACCESS` takes them. */
export const ACCESS_MODES = ['url', 'service-dns', 'cluster-ip', 'port-forward'] as const;

/** How inference-perf-style arrivals are spaced (`load.arrivals`). */
export const ARRIVALS = ['exact', 'inference-perf'] as const;
