/**
 * Incremental Server-Sent-Events parser (WHATWG HTML "event stream interpretation") over raw
 * bytes, in linear time: each input byte is scanned once by native `indexOf`, and only the bytes
 * of an unfinished line are carried to the next chunk (never the whole stream, the quadratic
 * mistake of naive parsers). Lines end in LF, CRLF or a lone CR, including a CRLF split across
 * chunks. UTF-8 is decoded per complete line, so a multi-byte character split across chunks is
 * decoded correctly.
 *
 * Each event is reported with the receive time of the chunk that completed it (its terminating
 * blank line): the moment the client could first act on it.
 *
 * An event whose data is a single line that arrived in the same chunk as its blank line (nearly
 * every event of an LLM stream) can be handed over as a byte range instead of a string, so a
 * caller that reads it in place allocates nothing for it.
 *
 * With a size limit, an event whose data (or any single line) grows past it is reported once to
 * `onTooLarge` as soon as the limit is passed, and the parser stops: it never holds more than the
 * limit of one event, whatever the server sends.
 */

/** Called once per dispatched event. `type` is null for the default `message` type. */
export type SseEventHandler = (data: string, time: number, type: string | null) => void;

/**
 * Called instead of `SseEventHandler` for a single-line event still in `buf[start, end)`. The
 * bytes are valid only during the call.
 */
export type SseRawEventHandler = (buf: Buffer, start: number, end: number, time: number, type: string | null) => void;

/** Largest event (data bytes of one event, or bytes of one line), and what to call when one is larger. */
export interface SseLimit {
  maxEventBytes: number;
  /** Called once with the size reached; the parser ignores everything after. */
  onTooLarge(bytes: number): void;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

export class SseParser {
  private carry: Buffer = Buffer.allocUnsafe(1024);
  private carryLen = 0;
  /** The previous chunk ended in CR: a LF starting the next chunk belongs to the same line break. */
  private skipLf = false;
  private bomChecked = false;
  private data: string | null = null;
  private type: string | null = null;
  /** A single data line not yet made a string: its bytes in the current chunk. */
  private rawBuf: Buffer | null = null;
  private rawStart = 0;
  private rawEnd = 0;
  /** Data bytes of the current event so far (its dispatched lines, not the carry). */
  private eventBytes = 0;
  private tooLarge = false;

  constructor(
    private readonly onEvent: SseEventHandler,
    private readonly onRawEvent?: SseRawEventHandler,
    private readonly limit?: SseLimit,
  ) {}

  /** Feeds one chunk of the body, received at `time` (ms, `performance.now()`). */
  push(chunk: Uint8Array, time: number): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const len = buf.length;
    let pos = 0;
    if (len === 0 || this.tooLarge) return;
    if (this.skipLf) {
      this.skipLf = false;
      if (buf[0] === LF) pos = 1;
    }
    if (!this.bomChecked) {
      this.bomChecked = true;
      if (this.carryLen === 0 && buf[pos] === 0xef && buf[pos + 1] === 0xbb && buf[pos + 2] === 0xbf) pos += 3;
    }
    let lf = -2;
    let cr = -2;
    while (pos < len) {
      if (lf !== -1 && lf < pos) lf = buf.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = buf.indexOf(CR, pos);
      let eol: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        eol = cr;
        if (cr + 1 < len) next = buf[cr + 1] === LF ? cr + 2 : cr + 1;
        else {
          next = len;
          this.skipLf = true;
        }
      } else if (lf !== -1) {
        eol = lf;
        next = lf + 1;
      } else {
        this.append(buf, pos, len);
        this.materialize();
        return;
      }
      if (this.carryLen > 0) {
        this.append(buf, pos, eol);
        if (this.tooLarge) return;
        this.line(this.carry, 0, this.carryLen, time);
        this.carryLen = 0;
      } else {
        this.line(buf, pos, eol, time);
      }
      if (this.tooLarge) return;
      pos = next;
    }
    this.materialize();
  }

  /**
   * Ends the stream. Returns true when an event was left incomplete (data received but never
   * dispatched by a blank line), which the spec discards and the caller may treat as a cut stream.
   */
  end(): boolean {
    const pending = !this.tooLarge && (this.data !== null || this.rawBuf !== null || this.carryLen > 0);
    this.rawBuf = null;
    this.data = null;
    this.type = null;
    this.carryLen = 0;
    this.eventBytes = 0;
    return pending;
  }

  private line(buf: Buffer, start: number, end: number, time: number): void {
    if (start === end) {
      const raw = this.rawBuf;
      const data = this.data;
      const type = this.type;
      this.rawBuf = null;
      this.data = null;
      this.type = null;
      this.eventBytes = 0;
      if (raw) this.onRawEvent!(raw, this.rawStart, this.rawEnd, time, type);
      else if (data !== null) this.onEvent(data, time, type);
      return;
    }
    if (buf[start] === COLON) return;
    // The field name is a few bytes: a bounded loop, never a search past this line.
    let colon = start;
    while (colon < end && buf[colon] !== COLON) colon++;
    let vStart = colon < end ? colon + 1 : end;
    if (vStart < end && buf[vStart] === SPACE) vStart++;
    const nameLen = colon - start;
    if (this.limit && end - start + this.eventBytes > this.limit.maxEventBytes) return this.overLimit(end - start + this.eventBytes);
    if (nameLen === 4 && buf[start] === 100 && buf[start + 1] === 97 && buf[start + 2] === 116 && buf[start + 3] === 97) {
      this.eventBytes += end - vStart + 1;
      // The first data line of an event stays bytes when its buffer outlives this call (not the
      // carry, which is reused); a second line joins them as a string.
      if (this.onRawEvent && this.data === null && this.rawBuf === null && buf !== this.carry) {
        this.rawBuf = buf;
        this.rawStart = vStart;
        this.rawEnd = end;
        return;
      }
      this.materialize();
      const value = buf.toString('utf8', vStart, end);
      this.data = this.data === null ? value : `${this.data}\n${value}`;
    } else if (nameLen === 5 && buf.toString('latin1', start, colon) === 'event') {
      this.type = buf.toString('utf8', vStart, end);
    }
    // `id` and `retry` do not matter to a one-shot completion stream; other fields are ignored per spec.
  }

  /** Turns a pending raw data line into the string form (its chunk is about to be left behind). */
  private materialize(): void {
    if (this.rawBuf === null) return;
    this.data = this.rawBuf.toString('utf8', this.rawStart, this.rawEnd);
    this.rawBuf = null;
  }

  /** Drops everything held and stops the parser: the event or line passed the limit. */
  private overLimit(bytes: number): void {
    this.tooLarge = true;
    this.rawBuf = null;
    this.data = null;
    this.type = null;
    this.carryLen = 0;
    this.carry = Buffer.alloc(0);
    this.limit!.onTooLarge(bytes);
  }

  private append(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.limit && this.carryLen + n + this.eventBytes > this.limit.maxEventBytes) return this.overLimit(this.carryLen + n + this.eventBytes);
    if (this.carryLen + n > this.carry.length) {
      const need = this.carryLen + n;
      // Doubling, but never past the event limit (the check above keeps `need` within it).
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(this.carry.length * 2, this.limit?.maxEventBytes ?? Infinity)));
      this.carry.copy(grown, 0, 0, this.carryLen);
      this.carry = grown;
    }
    buf.copy(this.carry, this.carryLen, start, end);
    this.carryLen += n;
  }
}
