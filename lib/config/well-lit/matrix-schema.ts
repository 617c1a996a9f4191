/**
 * The harness matrix: every `[input, output]` length pair of `isl_osl` at every level of
 * `concurrency`, over the `endpoint_type` API (`concurrency: [1, 8, 32]` ×
 * `isl_osl: [[8192, 1024], [1024, 128]]`, `endpoint_type: chat`), the way llm-d's benchmark
 * matrices and InferenceMAX-style runs are written. It is a workload entry, or the top level
 * of a file whose only workload it is.
 */
import { z } from 'zod';
import { choice, seconds, tokens } from './schema-helpers.ts';

const level = () => z.number({ error: 'expected a positive integer (requests in flight)' }).int().min(1);

/** The matrix keys, every one optional (so they can sit at the top level of any file). */
export const MatrixFieldsShape = {
  concurrency: z
    .union([level(), z.array(level()).min(1)], { error: 'expected a positive integer or a non-empty list of them' })
    .transform((v): number[] => (Array.isArray(v) ? v : [v]))
    .optional()
    .describe('Concurrency levels (requests in flight), run in order as a sweep for each isl_osl pair.'),
  isl_osl: z
    .array(z.tuple([tokens('input tokens'), tokens('output tokens')], { error: 'expected a pair [input tokens, output tokens]' }), {
      error: 'expected a list of [input tokens, output tokens] pairs',
    })
    .min(1, { error: 'expected a list of [input tokens, output tokens] pairs' })
    .optional()
    .describe('[input tokens, output tokens] pairs, e.g. [[8192, 1024], [1024, 128]]: one scenario (a concurrency sweep) per pair.'),
  endpoint_type: choice(['chat', 'completions'] as const, { completion: 'write completions' })
    .optional()
    .describe('OpenAI API: chat (/v1/chat/completions) or completions (/v1/completions, the default).'),
  streaming: z.boolean().optional().describe('Stream responses (default true; TTFT, TPOT and ITL need streaming).'),
  num_requests: tokens('requests')
    .optional()
    .describe('Measured requests at each concurrency level. Default: 10 per unit of the largest level (InferenceMAX sends 10 prompts per unit of concurrency). BENCH_NUM_REQUESTS overrides.'),
  duration: seconds().optional().describe('Seconds each concurrency level runs at most (with num_requests: whichever comes first). BENCH_DURATION overrides.'),
} as const;

/** A harness-matrix workload entry: `concurrency` and `isl_osl` required. */
export const MatrixEntrySchema = z
  .strictObject({
    ...MatrixFieldsShape,
    concurrency: MatrixFieldsShape.concurrency.unwrap(),
    isl_osl: MatrixFieldsShape.isl_osl.unwrap(),
  })
  .describe('A harness matrix: concurrency levels × [input, output] length pairs.');

/** A parsed matrix entry. */
export type MatrixEntry = z.output<typeof MatrixEntrySchema>;

/** Keys that make a workload entry a matrix rather than an inference-perf workload. */
export const MATRIX_MARKERS: readonly string[] = ['isl_osl', 'endpoint_type', 'concurrency'];
