import type { ChunkFields } from './adapter.ts';

/**
 * Reads the fields a stream chunk contributes straight from its UTF-8 bytes, without building
 * the `data` string or `JSON.parse`'s object graph: the only allocation is the output text
 * itself. That matters because every chunk's garbage adds to the collector's pauses, and a chunk
 * arriving during a pause is timestamped late.
 *
 * It is a strict JSON validator that captures a handful of paths: `choices[0].text` (completions),
 * `choices[0].delta.{content, reasoning_content, reasoning}` (chat), `choices[0].finish_reason`,
 * and `usage.{prompt_tokens, completion_tokens, prompt_tokens_details.cached_tokens}`. Values it
 * takes follow `JSON.parse` semantics (the last of duplicate keys wins; a value of the wrong type
 * reads as absent). It returns false, and the caller falls back to `JSON.parse`, for anything it
 * does not fully handle: invalid JSON, a top level that is not an object, no `choices` array,
 * an `error` member, numbers in usage that are not plain integers, nesting deeper than 32.
 */
export function scanChunk(buf: Buffer, start: number, end: number, api: 'completions' | 'chat', out: ChunkFields): boolean {
  const s = state;
  s.buf = buf;
  s.i = start;
  s.end = end;
  s.chat = api === 'chat';
  s.choices = false;
  s.choice = false;
  s.error = false;
  s.text = s.content = s.reasoningContent = s.reasoning = null;
  s.finish = null;
  s.usage = false;
  s.prompt = s.completion = s.cached = -1;
  s.buf = buf;
  try {
    skipWs(s);
    if (s.i >= end || buf[s.i] !== LBRACE) return false;
    value(s, ROOT, 0);
    skipWs(s);
    if (s.i !== end || !s.choices || s.error) return false;
  } catch (e) {
    if (e === INVALID) return false;
    throw e;
  } finally {
    s.buf = EMPTY;
  }
  if (s.chat) {
    const content = s.content ?? '';
    const reasoning = s.reasoningContent ?? s.reasoning ?? '';
    out.text = reasoning ? reasoning + content : content;
  } else {
    out.text = s.text ?? '';
  }
  out.finishReason = s.finish;
  out.choice = s.choice;
  out.usage =
    s.usage && s.prompt >= 0 && s.completion >= 0
      ? { promptTokens: s.prompt, completionTokens: s.completion, cachedTokens: s.cached >= 0 ? s.cached : null }
      : null;
  return true;
}

const EMPTY = Buffer.alloc(0);
const INVALID = new Error('invalid chunk');
const MAX_DEPTH = 32;

const QUOTE = 34;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const COLON = 58;
const COMMA = 44;

/** Where a value sits, which decides what (if anything) is captured from it. */
const enum At {
  Skip,
  Root,
  Choices,
  Choice0,
  Delta,
  Usage,
  Details,
  Text,
  Content,
  ReasoningContent,
  Reasoning,
  Finish,
  Prompt,
  Completion,
  Cached,
}
const ROOT = At.Root;

interface ScanState {
  buf: Buffer;
  i: number;
  end: number;
  chat: boolean;
  choices: boolean;
  /** `choices` has at least one element. */
  choice: boolean;
  error: boolean;
  text: string | null;
  content: string | null;
  reasoningContent: string | null;
  reasoning: string | null;
  finish: string | null;
  usage: boolean;
  prompt: number;
  completion: number;
  cached: number;
  /** Whether the last string scanned had escapes. */
  escaped: boolean;
}

/** One reused state: scanning is synchronous and not re-entrant. */
const state: ScanState = {
  buf: EMPTY, i: 0, end: 0, chat: false, choices: false, choice: false, error: false, text: null, content: null,
  reasoningContent: null, reasoning: null, finish: null, usage: false, prompt: -1, completion: -1, cached: -1,
  escaped: false,
};

function skipWs(s: ScanState): void {
  const { buf, end } = s;
  let i = s.i;
  while (i < end) {
    const b = buf[i]!;
    if (b !== 32 && b !== 10 && b !== 13 && b !== 9) break;
    i++;
  }
  s.i = i;
}

/** Scans one value at `s.i`, capturing it according to `at`. */
function value(s: ScanState, at: At, depth: number): void {
  if (s.i >= s.end) throw INVALID;
  const b = s.buf[s.i]!;
  if (b === LBRACE || b === LBRACKET) {
    // An object or array where a string or count is read: absent, as `typeof` sees it.
    const leaf = at >= At.Text;
    if (leaf) capture(s, at, null);
    return b === LBRACE ? object(s, leaf ? At.Skip : at, depth + 1) : array(s, leaf ? At.Skip : at, depth + 1);
  }
  if (b === QUOTE) {
    const str = string(s, at >= At.Text && at <= At.Finish);
    capture(s, at, str);
    return;
  }
  if (b === 110) return literal(s, 'null', at);
  if (b === 116) return literal(s, 'true', at);
  if (b === 102) return literal(s, 'false', at);
  number(s, at);
}

function object(s: ScanState, at: At, depth: number): void {
  if (depth > MAX_DEPTH) throw INVALID;
  s.i++;
  skipWs(s);
  if (s.buf[s.i] === RBRACE) {
    s.i++;
    return;
  }
  for (;;) {
    skipWs(s);
    if (s.buf[s.i] !== QUOTE) throw INVALID;
    const keyStart = s.i + 1;
    string(s, false);
    // Keys are compared as raw bytes; one written with escapes goes to JSON.parse.
    if (s.escaped) throw INVALID;
    const child = member(s, at, keyStart, s.i - 1);
    skipWs(s);
    if (s.buf[s.i] !== COLON) throw INVALID;
    s.i++;
    skipWs(s);
    value(s, child, depth);
    skipWs(s);
    const c = s.buf[s.i];
    s.i++;
    if (c === RBRACE) return;
    if (c !== COMMA) throw INVALID;
  }
}

function array(s: ScanState, at: At, depth: number): void {
  if (depth > MAX_DEPTH) throw INVALID;
  s.i++;
  skipWs(s);
  if (s.buf[s.i] === RBRACKET) {
    s.i++;
    return;
  }
  if (at === At.Choices) s.choice = true;
  for (let n = 0; ; n++) {
    skipWs(s);
    // Only the first choice counts, and only when it is an object (as `choices[0].text` reads).
    value(s, at === At.Choices && n === 0 && s.buf[s.i] === LBRACE ? At.Choice0 : At.Skip, depth);
    skipWs(s);
    const c = s.buf[s.i];
    s.i++;
    if (c === RBRACKET) return;
    if (c !== COMMA) throw INVALID;
  }
}

/**
 * What the member whose key is bytes `a..b` (escape-free) of an object at `at` is. No closures
 * here or anywhere on this path: the TypeScript loader wraps every closure it creates at run time.
 */
function member(s: ScanState, at: At, a: number, b: number): At {
  const buf = s.buf;
  switch (at) {
    case At.Root:
      if (keyIs(buf, a, b, 'choices')) {
        // A later duplicate replaces the earlier one, as in JSON.parse.
        s.choices = buf[nextValue(s)] === LBRACKET;
        s.choice = false;
        s.text = s.content = s.reasoningContent = s.reasoning = s.finish = null;
        return At.Choices;
      }
      if (keyIs(buf, a, b, 'usage')) {
        s.usage = buf[nextValue(s)] === LBRACE;
        s.prompt = s.completion = s.cached = -1;
        return At.Usage;
      }
      if (keyIs(buf, a, b, 'error')) s.error = true;
      return At.Skip;
    case At.Choice0:
      if (!s.chat && keyIs(buf, a, b, 'text')) return At.Text;
      if (keyIs(buf, a, b, 'finish_reason')) return At.Finish;
      if (s.chat && keyIs(buf, a, b, 'delta')) {
        s.content = s.reasoningContent = s.reasoning = null;
        return At.Delta;
      }
      return At.Skip;
    case At.Delta:
      if (keyIs(buf, a, b, 'content')) return At.Content;
      if (keyIs(buf, a, b, 'reasoning_content')) return At.ReasoningContent;
      if (keyIs(buf, a, b, 'reasoning')) return At.Reasoning;
      return At.Skip;
    case At.Usage:
      if (keyIs(buf, a, b, 'prompt_tokens')) return At.Prompt;
      if (keyIs(buf, a, b, 'completion_tokens')) return At.Completion;
      if (keyIs(buf, a, b, 'prompt_tokens_details')) {
        s.cached = -1;
        return At.Details;
      }
      return At.Skip;
    case At.Details:
      return keyIs(buf, a, b, 'cached_tokens') ? At.Cached : At.Skip;
    default:
      return At.Skip;
  }
}

/** Index of the first byte of the value after the `:` following the current key. */
function nextValue(s: ScanState): number {
  let i = s.i;
  const { buf, end } = s;
  while (i < end && buf[i] !== COLON) i++;
  i++;
  while (i < end && (buf[i] === 32 || buf[i] === 10 || buf[i] === 13 || buf[i] === 9)) i++;
  return i;
}

function keyIs(buf: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let j = 0; j < name.length; j++) if (buf[start + j] !== name.charCodeAt(j)) return false;
  return true;
}

/** Sets a string-valued capture; a string where a number belongs makes that number absent. */
function capture(s: ScanState, at: At, str: string | null): void {
  switch (at) {
    case At.Text:
      s.text = str;
      return;
    case At.Content:
      s.content = str;
      return;
    case At.ReasoningContent:
      s.reasoningContent = str;
      return;
    case At.Reasoning:
      s.reasoning = str;
      return;
    case At.Finish:
      s.finish = str;
      return;
    case At.Prompt:
      s.prompt = -1;
      return;
    case At.Completion:
      s.completion = -1;
      return;
    case At.Cached:
      s.cached = -1;
      return;
    case At.Choices:
    case At.Usage:
      // `"choices": "x"` is not an array, `"usage": "x"` not an object: already marked by `member`.
      return;
    default:
  }
}

/**
 * Scans a string at `s.i` (validating escapes and rejecting raw control characters, as JSON
 * does) and returns its value when `keep`, else null. Escape-free strings decode straight from
 * UTF-8; strings with escapes go through JSON.parse of just that string.
 */
function string(s: ScanState, keep: boolean): string | null {
  const { buf, end } = s;
  const start = ++s.i;
  let escaped = false;
  let i = start;
  for (;;) {
    if (i >= end) throw INVALID;
    const b = buf[i]!;
    if (b === QUOTE) break;
    if (b < 32) throw INVALID;
    if (b === BACKSLASH) {
      escaped = true;
      const e = buf[i + 1];
      if (e === 117) {
        for (let h = i + 2; h < i + 6; h++) if (h >= end || !isHex(buf[h]!)) throw INVALID;
        i += 6;
        continue;
      }
      if (e !== QUOTE && e !== BACKSLASH && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) {
        throw INVALID;
      }
      i += 2;
      continue;
    }
    i++;
  }
  s.i = i + 1;
  s.escaped = escaped;
  if (!keep) return null;
  return escaped ? (JSON.parse(buf.toString('utf8', start - 1, i + 1)) as string) : buf.toString('utf8', start, i);
}

function isHex(b: number): boolean {
  return (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102);
}

function literal(s: ScanState, word: string, at: At): void {
  if (!keyIs(s.buf, s.i, Math.min(s.i + word.length, s.end), word)) throw INVALID;
  s.i += word.length;
  // `null` or a boolean where a string or count is read: absent, as `typeof` sees it.
  capture(s, at, null);
}

/** Validates a JSON number; captures it when it is a plain non-negative integer in a usage field. */
function number(s: ScanState, at: At): void {
  const { buf, end } = s;
  let i = s.i;
  let plain = true;
  if (buf[i] === 45) {
    plain = false;
    i++;
  }
  if (i >= end) throw INVALID;
  if (buf[i] === 48) i++;
  else if (buf[i]! >= 49 && buf[i]! <= 57) while (i < end && buf[i]! >= 48 && buf[i]! <= 57) i++;
  else throw INVALID;
  const intEnd = i;
  if (buf[i] === 46) {
    plain = false;
    i++;
    if (!(buf[i]! >= 48 && buf[i]! <= 57)) throw INVALID;
    while (i < end && buf[i]! >= 48 && buf[i]! <= 57) i++;
  }
  if (buf[i] === 101 || buf[i] === 69) {
    plain = false;
    i++;
    if (buf[i] === 43 || buf[i] === 45) i++;
    if (!(buf[i]! >= 48 && buf[i]! <= 57)) throw INVALID;
    while (i < end && buf[i]! >= 48 && buf[i]! <= 57) i++;
  }
  const start = s.i;
  s.i = i;
  if (at !== At.Prompt && at !== At.Completion && at !== At.Cached) {
    // A number where a string is read: absent.
    if (at >= At.Text) capture(s, at, null);
    return;
  }
  // A count written as 1e3, 12.0 or -1: rare enough to leave to JSON.parse.
  if (!plain || intEnd - start > 15) throw INVALID;
  let n = 0;
  for (let j = start; j < intEnd; j++) n = n * 10 + (buf[j]! - 48);
  if (at === At.Prompt) s.prompt = n;
  else if (at === At.Completion) s.completion = n;
  else s.cached = n;
}
