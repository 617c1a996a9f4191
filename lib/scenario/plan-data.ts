/**
 * The data part of a scenario's plan: the data source a run would build (`createDataSource`,
 * the same config, tokenizer choice, API and seed rule as `runScenario`), and the lengths of a
 * sample of its measured prompts, counted again with the source's tokenizer as the server counts
 * them (on the chat API the message rendered in the chat template, `renderUserTurn`): what the
 * server will be sent, not what the config asked for. A multi-turn source is described by a
 * sample of its sessions instead: turns, tokens per turn, and the conversation the last turn carries.
 */
import type { Data } from '../config/schema/data.ts';
import { createDataSource } from '../data/index.ts';
import type { TokenizerOption, TokenizerProvenance } from '../data/index.ts';
import type { SessionSource, TraceTiming } from '../data/source.ts';
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
  /** A multi-turn source: a sample of the sessions the run starts (its prompts are then the warm-up's only, and `sample` is null). */
  sessions?: SessionsPlan;
}

/** A sample of the sessions a multi-turn run starts. */
export interface SessionsPlan {
  /** Header that carries the session id on every turn. */
  header: string;
  /** Sessions sampled: the run's first ones. */
  sessions: number;
  /** Turns per session. */
  turns: LengthStats;
  /** Tokens of the system prompt each session starts with. */
  systemTokens: LengthStats;
  /** New user tokens of each turn. */
  turnTokens: LengthStats;
  /** max_tokens of each turn. */
  maxTokens: LengthStats;
  /** Think time before each turn after the first, ms; null for one-turn sessions. */
  thinkMs: LengthStats | null;
  /** Prompt tokens of each session's last turn when every response runs to its max_tokens: the conversation at its longest. */
  lastTurnTokens: LengthStats;
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
  /** Measured requests (sessions, for a multi-turn source) the run plans, when known: what the run prepares its sessions for. */
  plannedRequests?: number | null;
}

/** Builds the run's data source for `data` and samples its first measured prompts; throws `DataError` for a source that cannot be built. */
export async function planData(data: Data, ctx: DataPlanContext): Promise<DataPlan> {
  const pinned = data.seed !== undefined;
  const seed = data.seed ?? ctx.checkSeed;
  const source = await createDataSource({ ...data, seed }, { model: ctx.model ?? '', tokenizer: ctx.tokenizer, api: ctx.api, warmupRequests: ctx.warmupRequests });
  let sample: DataPlan['sample'] = null;
  if (source.sessions) {
    await source.sessions.prepare(Math.max(ctx.sample, ctx.plannedRequests ?? 0));
    return {
      type: data.type, config: { ...data }, tokenizer: source.tokenizer, cells: source.cells, sample: null, summary: source.summary?.() ?? null, timing: null,
      ...(ctx.sample > 0 ? { sessions: sessionsPlan(source.sessions, ctx.sample) } : {}),
    };
  }
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

/** The first `n` sessions of `sessions`, in numbers. */
function sessionsPlan(sessions: SessionSource, n: number): SessionsPlan {
  const turns: number[] = [];
  const system: number[] = [];
  const turnTokens: number[] = [];
  const maxTokens: number[] = [];
  const think: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = sessions.session(i);
    turns.push(p.turns.length);
    system.push(p.systemTokens);
    let context = p.systemTokens;
    p.turns.forEach((t, k) => {
      turnTokens.push(t.tokens);
      maxTokens.push(t.maxTokens);
      if (k > 0) think.push(t.thinkS * 1000);
      context += t.tokens + (k < p.turns.length - 1 ? t.maxTokens : 0);
    });
    last.push(context);
  }
  return {
    header: sessions.header, sessions: n, turns: lengthStats(turns), systemTokens: lengthStats(system), turnTokens: lengthStats(turnTokens),
    maxTokens: lengthStats(maxTokens), thinkMs: think.length > 0 ? lengthStats(think) : null, lastTurnTokens: lengthStats(last),
  };
}

function lengthStats(values: number[]): LengthStats {
  const s = summarize(values, [50, 90]);
  return { mean: s.mean!, p50: s.percentiles.p50!, p90: s.percentiles.p90!, min: s.min!, max: s.max! };
}
