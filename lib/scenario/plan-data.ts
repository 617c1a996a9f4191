/**
 * The data part of a scenario's plan: the data source a run would build (`createDataSource`,
 * the same config, tokenizer choice, API and seed rule as `runScenario`), and the lengths of a
 * sample of its measured prompts, counted again with the source's tokenizer as the server counts
 * them (on the chat API the message rendered in the chat template, `renderUserTurn`): what the
 * server will be sent, not what the config asked for.
 */
import type { Data } from '../config/schema/data.ts';
import { createDataSource } from '../data/index.ts';
import type { TokenizerOption, TokenizerProvenance } from '../data/index.ts';
import type { TraceTiming } from '../data/source.ts';
import { summarize } from '../stats/summary.ts';
import { renderUserTurn } from '../tokenizer/chat-template.ts';
import { getTokenizer, isTokenizerName } from '../tokenizer/index.ts';

/** Mean, median, p90 and range of a length sample, in tokens. */
export interface LengthStats {
  mean: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
}

/** The data part of a plan. */
export interface DataPlan {
  type: Data['type'];
  /** The data config the source is built from (defaults filled in, the run's own seed left out). */
  config: Record<string, unknown>;
  /** The tokenizer prompts are built and counted with, and whether it is the model's own. */
  tokenizer: TokenizerProvenance;
  /** Workload cells the prompts cycle through (e.g. `prompt=500,max_tokens=100`). */
  cells: readonly string[];
  /** The sample, or null when none was asked for. */
  sample: {
    /** Prompts sampled: the run's first measured ones (after the warm-up's), at most as many as it sends. */
    prompts: number;
    /** The prompt seed of the sample: the config's, or one standing in for the run's fresh one. */
    seed: number;
    /** The config pins the seed, so the run sends these very prompts. */
    seedPinned: boolean;
    /** Prompt tokens by the source's tokenizer, as the server counts them (on the chat API, the chat template included). */
    inputTokens: LengthStats;
    /** max_tokens requested. */
    maxTokens: LengthStats;
  } | null;
  /** The source's own line about what it did (dataset entries skipped, prompts reused), when it has one. */
  summary: string | null;
  /** A trace replay's request times (`data.type: trace`), for the `trace` load's plan; null for other sources. */
  timing: TraceTiming | null;
}

/** What the data plan needs besides the data config. */
export interface DataPlanContext {
  /** The model the run sends to, when known before connecting (else the tokenizer falls back as for an unknown model). */
  model: string | null;
  /** The target's tokenizer option. */
  tokenizer: TokenizerOption;
  /** The API the prompts are sent on (chat prompts leave room for the chat template). */
  api: 'completions' | 'chat';
  /** Requests sent before the measured ones (their prompts come first). */
  warmupRequests: number;
  /** Prompts to sample (0: build the source, sample nothing). */
  sample: number;
  /** Prompt seed when the config pins none (the run draws a fresh one). */
  checkSeed: number;
}

/** Builds the run's data source for `data` and samples its first measured prompts; throws `DataError` for a source that cannot be built. */
export async function planData(data: Data, ctx: DataPlanContext): Promise<DataPlan> {
  const pinned = data.seed !== undefined;
  const seed = data.seed ?? ctx.checkSeed;
  const source = await createDataSource({ ...data, seed }, { model: ctx.model ?? '', tokenizer: ctx.tokenizer, api: ctx.api, warmupRequests: ctx.warmupRequests });
  let sample: DataPlan['sample'] = null;
  // A trace is sampled within its requests: the run sends no more of them.
  const n = Math.min(ctx.sample, source.timing?.count ?? Infinity);
  if (n > 0) {
    await source.prepare(ctx.warmupRequests + n);
    const name = source.tokenizer.name;
    const tokenizer = isTokenizerName(name) ? await getTokenizer(name) : null;
    const input: number[] = [];
    const output: number[] = [];
    for (let i = ctx.warmupRequests; i < ctx.warmupRequests + n; i++) {
      const p = source.get(i);
      input.push(tokenizer ? tokenizer.count(ctx.api === 'chat' ? renderUserTurn(p.text) : p.text) : p.tokens);
      output.push(p.maxTokens);
    }
    sample = { prompts: n, seed, seedPinned: pinned, inputTokens: lengthStats(input), maxTokens: lengthStats(output) };
  }
  return {
    type: data.type,
    config: { ...data },
    tokenizer: source.tokenizer,
    cells: source.cells,
    sample,
    summary: source.summary?.() ?? null,
    timing: source.timing ?? null,
  };
}

function lengthStats(values: number[]): LengthStats {
  const s = summarize(values, [50, 90]);
  return { mean: s.mean!, p50: s.percentiles.p50!, p90: s.percentiles.p90!, min: s.min!, max: s.max! };
}
