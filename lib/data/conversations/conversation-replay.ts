/**
 * inference-perf's `conversation_replay` data, as session plans. Definition:
 * kubernetes-sigs/inference-perf `inference_perf/datagen/replay/conversation_replay_datagen.py`
 * (`_build_conversations`, `load_lazy_data`) and `inference_perf/config/datagen/replay.py`
 * (`ConversationReplayConfig`), commit 7de5ef2e.
 *
 * What it means there: `num_conversations` conversation blueprints, built once from `seed`.
 * One shared system prompt of `shared_system_prompt_len` tokens for all of them; each
 * conversation appends its own dynamic part (`dynamic_system_prompt_len`, drawn per conversation,
 * none when not configured) after a space. Each has `turns_per_conversation` turns (drawn per
 * conversation, 10 when not configured); each turn a user message of `input_tokens_per_turn`
 * tokens (512 when not configured) and `max_tokens` of `output_tokens_per_turn` (256 when not
 * configured), drawn per turn; with `tool_call_latency_sec`, the session sleeps the turn's drawn
 * seconds after its response before the next turn. Lengths are drawn by
 * `sample_from_distribution` (here `length-shapes.ts`, `sample`). A conversation's turns go out
 * in order on the completions API, each appended to the conversation so far; conversation `c` is
 * session `conv_<c>`, and request `i` is turn `floor(i / n) mod turns` of conversation `i mod n`
 * (a conversation that ran all its turns starts over in the same slot as `slot_<c>_convo_<k>`).
 *
 * Here the texts are exact by the run's tokenizer (upstream decodes random ids, so its lengths
 * are approximate): the system prompt is built by {@link SharedPrefixSource} (one group whose
 * questions are the dynamic parts), the turns by `buildRandomText`. The tool latency drawn for
 * turn `k` is turn `k + 1`'s think time; the last turn's delays only the slot's next conversation.
 */
import type { Tokenizer } from '../../tokenizer/index.ts';
import { deriveSeed, prngFor } from '../../stats/prng.ts';
import { DataError } from '../data-error.ts';
import { drawShaped, shapeProblem } from '../length-shapes.ts';
import type { ShapedLength } from '../length-shapes.ts';
import { buildRandomText } from '../random-text.ts';
import { SharedPrefixSource } from '../shared-prefix.ts';
import type { SessionPlan, TurnPlan } from '../sessions.ts';
import type { TokenizerProvenance } from '../source.ts';
import { getWordPool } from '../word-pool.ts';

/** `data.conversation_replay` of inference-perf, defaults applied (see `schema.ts`). */
export interface ConversationReplayConfig {
  seed: number;
  num_conversations: number;
  shared_system_prompt_len: number;
  dynamic_system_prompt_len?: ShapedLength;
  turns_per_conversation?: ShapedLength;
  input_tokens_per_turn?: ShapedLength;
  output_tokens_per_turn?: ShapedLength;
  /** Seconds; drawn as a length (whole numbers, clipped to min..max). */
  tool_call_latency_sec?: ShapedLength;
  /** Context ceiling upstream trims history to; carried for the runner. */
  max_model_len?: number;
}

/** Upstream's values for a distribution left out. */
export const CONVERSATION_DEFAULTS = Object.freeze({ turns: 10, inputTokens: 512, outputTokens: 256 });

const TURNS_STREAM = 0x43545552;
const INPUT_STREAM = 0x43494e50;
const OUTPUT_STREAM = 0x434f5554;
const TOOL_STREAM = 0x43544f4c;
const TEXT_STREAM = 0x43545854;
const SYSTEM_STREAM = 0x43535953;

type Field = 'dynamic_system_prompt_len' | 'turns_per_conversation' | 'input_tokens_per_turn' | 'output_tokens_per_turn' | 'tool_call_latency_sec';
const FIELDS: readonly Field[] = ['dynamic_system_prompt_len', 'turns_per_conversation', 'input_tokens_per_turn', 'output_tokens_per_turn', 'tool_call_latency_sec'];

/** Checks a config, naming the path of the first bad value. @throws DataError `DATA_INVALID`. */
export function checkConversationReplayConfig(c: ConversationReplayConfig): void {
  if (!Number.isSafeInteger(c.seed)) throw new DataError('DATA_INVALID', 'data.conversation_replay.seed', `expected an integer, got ${String(c.seed)}`);
  if (!Number.isSafeInteger(c.num_conversations) || c.num_conversations < 1) {
    throw new DataError('DATA_INVALID', 'data.conversation_replay.num_conversations', `expected an integer >= 1, got ${String(c.num_conversations)}`);
  }
  if (!Number.isSafeInteger(c.shared_system_prompt_len) || c.shared_system_prompt_len < 0) {
    throw new DataError('DATA_INVALID', 'data.conversation_replay.shared_system_prompt_len', `expected an integer >= 0, got ${String(c.shared_system_prompt_len)}`);
  }
  for (const f of FIELDS) {
    const d = c[f];
    const least = f === 'tool_call_latency_sec' || f === 'dynamic_system_prompt_len' ? 0 : 1;
    const why = d === undefined ? undefined : (shapeProblem(d, 'sample') ?? (d.min < least ? `min ${d.min} is below ${least}` : undefined));
    if (why) throw new DataError('DATA_INVALID', `data.conversation_replay.${f}`, why);
  }
}

/** Draw `k` of distribution `d` on stream `stream` of `seed`, or `fallback` when not configured. */
function draw(d: ShapedLength | undefined, fallback: number, seed: number, stream: number, k: number): number {
  return d === undefined ? fallback : drawShaped(d, 'sample', prngFor(deriveSeed(seed, stream), k));
}

/** The system prompts: the shared part, then each conversation's dynamic part after a space. */
async function systemPrompts(c: ConversationReplayConfig, tokenizer: Tokenizer, provenance: TokenizerProvenance): Promise<string[]> {
  const n = c.num_conversations;
  const seed = deriveSeed(c.seed, SYSTEM_STREAM);
  const dyn = c.dynamic_system_prompt_len;
  const pool = getWordPool(tokenizer);
  const alone = (tokens: number, k: number): string => (tokens > 0 ? buildRandomText(tokenizer, pool, tokens, prngFor(seed, k)) : '');
  if (c.shared_system_prompt_len === 0 || dyn === undefined || dyn.min === 0) {
    const shared = alone(c.shared_system_prompt_len, n);
    return Array.from({ length: n }, (_, k) => {
      const part = alone(draw(dyn, 0, c.seed, SYSTEM_STREAM, k), k);
      return shared && part ? `${shared} ${part}` : shared || part;
    });
  }
  // One group whose questions are the dynamic parts: the joins are exact, the shared part identical.
  const source = new SharedPrefixSource(
    { type: 'shared_prefix', num_groups: 1, num_prompts_per_group: n, system_prompt_len: c.shared_system_prompt_len, question_len: dyn, output_len: 1, seed },
    tokenizer,
    provenance,
  );
  await source.prepare(n);
  return Array.from({ length: n }, (_, k) => source.get(k).text);
}

/**
 * The conversation blueprints of a `conversation_replay` config, one plan per conversation
 * (`conv_<c>`, cell `conversation_replay`), in upstream's slot order. Same config, same plans.
 *
 * @throws DataError `DATA_INVALID` for a bad config value; `DATA_UNBUILDABLE` when the
 *   tokenizer cannot yield an exact text.
 */
export async function buildConversationReplayPlans(
  config: ConversationReplayConfig,
  tokenizer: Tokenizer,
  provenance: TokenizerProvenance,
): Promise<SessionPlan[]> {
  checkConversationReplayConfig(config);
  const c = config;
  const systems = await systemPrompts(c, tokenizer, provenance);
  const pool = getWordPool(tokenizer);
  const textSeed = deriveSeed(c.seed, TEXT_STREAM);
  let turnIndex = 0;
  return systems.map((system, conv) => {
    const count = draw(c.turns_per_conversation, CONVERSATION_DEFAULTS.turns, c.seed, TURNS_STREAM, conv);
    const turns: TurnPlan[] = [];
    let think = 0;
    for (let t = 0; t < count; t++, turnIndex++) {
      const tokens = draw(c.input_tokens_per_turn, CONVERSATION_DEFAULTS.inputTokens, c.seed, INPUT_STREAM, turnIndex);
      const text = buildRandomText(tokenizer, pool, tokens, prngFor(textSeed, turnIndex));
      const maxTokens = draw(c.output_tokens_per_turn, CONVERSATION_DEFAULTS.outputTokens, c.seed, OUTPUT_STREAM, turnIndex);
      turns.push(Object.freeze({ text, tokens, maxTokens, thinkS: think }));
      think = draw(c.tool_call_latency_sec, 0, c.seed, TOOL_STREAM, turnIndex);
    }
    return Object.freeze({ id: `conv_${conv}`, system, systemTokens: tokenizer.count(system), turns, cell: 'conversation_replay' });
  });
}

/**
 * Request `i` of a run as inference-perf's closed loop maps it: conversation `i mod n` (its slot),
 * that slot's round `r = floor(i / n)`, turn `r mod turns`; a slot that ran all its turns starts
 * its blueprint over as a new session, `slot_<c>_convo_<k>` for its `k`-th repeat (`conv_<c>` first).
 */
export function conversationRequest(i: number, plans: readonly SessionPlan[]): { conversation: number; turn: number; session: string } {
  const conversation = i % plans.length;
  const round = Math.floor(i / plans.length);
  const turns = plans[conversation]!.turns.length;
  const repeat = Math.floor(round / turns);
  return { conversation, turn: round % turns, session: repeat === 0 ? plans[conversation]!.id : `slot_${conversation}_convo_${repeat}` };
}
