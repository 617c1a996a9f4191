import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DataError } from './data-error.ts';

/**
 * Reading a dataset file of JSON entries, streamed so a multi-gigabyte file never becomes one
 * string: JSONL (one JSON value per line) through `node:readline`, or one JSON array, split into
 * its elements as the bytes arrive and each element parsed on its own (the original ShareGPT_V3
 * dump is a 640 MB array, more than V8's largest string). The format is told by the file's first
 * non-space character: `[` is an array, anything else JSONL. Every failure is a `DataError`
 * (`DATA_INVALID`, path `data.path`) naming the file, and the line for a malformed entry.
 */

/** One entry of a dataset file. */
export interface DatasetRecord {
  /** The parsed JSON value. */
  value: unknown;
  /** 1-based line of the file where the entry starts. */
  line: number;
  /** 1-based number of the entry in the file (blank lines are not entries). */
  entry: number;
}

/** What reading a dataset file saw. */
export interface DatasetReadSummary {
  /** `jsonl` or `json-array`, from the first non-space character. */
  format: 'jsonl' | 'json-array';
  /** Entries read (at most `maxEntries`). */
  entries: number;
  /** Lines read, up to the last entry read (the whole file unless `maxEntries` stopped early). */
  lines: number;
}

/** How to read a dataset file. */
export interface DatasetReadOptions {
  /** Stop after this many entries (the rest of the file is not read). Default: all. */
  maxEntries?: number | undefined;
  /** Called once per entry, in file order. */
  onRecord(record: DatasetRecord): void;
}

/** Bytes read at a time while looking for the first non-space character. */
const PEEK_BYTES = 64 * 1024;
/** Stream chunk size. */
const CHUNK_BYTES = 1024 * 1024;

const dataPathError = (file: string, reason: string, cause?: unknown): DataError =>
  new DataError('DATA_INVALID', 'data.path', `${file}: ${reason}`, cause === undefined ? undefined : { cause });

/** The OS's reason for a file that cannot be read, in words. */
function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'file not found'
    : code === 'EACCES' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory, not a file'
    : `cannot read file: ${(err as Error).message}`;
}

/** The first non-space character of the file (a byte-order mark is skipped), or `undefined` for a blank file. */
async function firstCharacter(path: string, file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
    if (!(await handle.stat()).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (err) {
    await handle?.close();
    const where = path !== file ? ` (looked for ${path})` : '';
    throw dataPathError(file, `${readFailure(err)}${where}`, err);
  }
  try {
    const buf = Buffer.alloc(PEEK_BYTES);
    for (let first = true; ; first = false) {
      const { bytesRead } = await handle.read(buf, 0, PEEK_BYTES, null);
      if (bytesRead === 0) return undefined;
      // The UTF-8 byte-order mark (EF BB BF), only at the very start.
      const from = first && bytesRead >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
      for (let k = from; k < bytesRead; k++) {
        const b = buf[k]!;
        if (b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a) continue;
        // Only `[` matters, and it is one byte; any other lead byte just means "not an array".
        return String.fromCharCode(b);
      }
    }
  } finally {
    await handle.close();
  }
}

/**
 * `JSON.parse(text)`, or a `DataError` at `<file>:<line>` (the line of the parse error when the
 * engine gives a position) with the parser's reason.
 */
function parseEntry(text: string, file: string, line: number, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // One line: some engine messages quote the bad text, line breaks and all.
    const reason = (err as Error).message.replace(/\s*\n\s*/g, ' ');
    const at = /at position (\d+)/.exec(reason); // not in every message: then the entry's first line
    let errorLine = line;
    if (at) {
      const end = Math.min(Number(at[1]), text.length);
      for (let k = text.indexOf('\n'); k !== -1 && k < end; k = text.indexOf('\n', k + 1)) errorLine++;
    }
    throw new DataError('DATA_INVALID', 'data.path', `${file}:${errorLine}: ${what} is not valid JSON: ${reason}`, { cause: err });
  }
}

/**
 * Reads the entries of a dataset file in order, streaming: JSONL or one JSON array (see the module
 * comment). Blank JSONL lines are skipped. Stops after `maxEntries` entries without reading on.
 *
 * @param path the file, absolute or relative to the current working directory.
 * @param file the file as named in messages (usually as configured).
 * @throws DataError `DATA_INVALID` `data.path: <file>: ...` when the file is missing, unreadable,
 *   blank, or holds no entry; `<file>:<line>: ... is not valid JSON: <reason>` for a malformed entry.
 */
export async function readDatasetFile(path: string, file: string, options: DatasetReadOptions): Promise<DatasetReadSummary> {
  const max = options.maxEntries ?? Number.POSITIVE_INFINITY;
  const first = await firstCharacter(path, file);
  if (first === undefined) throw dataPathError(file, 'file is empty (expected JSONL, one JSON object per line, or a JSON array)');
  const format = first === '[' ? 'json-array' : 'jsonl';
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  let streamError: unknown;
  stream.on('error', (err) => (streamError = err));
  let entries = 0;
  let lines = 0;
  try {
    if (format === 'jsonl') {
      const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      stream.on('error', () => rl.close());
      for await (const raw of rl) {
        lines++;
        const text = lines === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
        if (text.trim() === '') continue;
        entries++;
        options.onRecord({ value: parseEntry(text, file, lines, `line ${lines}`), line: lines, entry: entries });
        if (entries >= max) break;
      }
    } else {
      const splitter = new JsonArraySplitter(file, (text, line) => {
        entries++;
        options.onRecord({ value: parseEntry(text, file, line, `entry ${entries} of the array (line ${line})`), line, entry: entries });
        return entries < max;
      });
      let done = false;
      for await (const chunk of stream) {
        if (!splitter.push(chunk as string)) {
          done = true;
          break;
        }
      }
      if (!done && streamError === undefined) splitter.end();
      lines = splitter.line;
    }
  } catch (err) {
    // A read error surfaces from the stream's iterator on some Node versions, from its event on others.
    if (err instanceof DataError) throw err;
    throw dataPathError(file, readFailure(err), err);
  } finally {
    stream.destroy();
  }
  if (streamError !== undefined) throw dataPathError(file, readFailure(streamError), streamError);
  if (entries === 0) {
    throw dataPathError(file, format === 'jsonl' ? 'no entries (every line is blank)' : 'the JSON array is empty');
  }
  return { format, entries, lines };
}

const enum State {
  /** Before the opening `[`. */
  Start,
  /** After `[`: an element or `]`. */
  First,
  /** After `,`: an element. */
  Next,
  /** Inside an element. */
  In,
  /** After an element: `,` or `]`. */
  After,
  /** After the closing `]`: only white space. */
  Done,
}

/** What ends a run of plain characters inside a JSON string. */
const STRING_STOP = /["\\\n]/g;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff;

/**
 * Splits a JSON array arriving in chunks into the text of its elements, in linear time: it tracks
 * only nesting depth and whether it is inside a string, and leaves checking each element to
 * `JSON.parse`. Structural errors between elements (a missing comma, text after the closing `]`,
 * an unclosed array) are reported with their line.
 */
class JsonArraySplitter {
  /** Current 1-based line. */
  line = 1;
  #state = State.Start;
  #depth = 0;
  #inString = false;
  #escape = false;
  #scalar = false;
  #parts: string[] = [];
  #startLine = 0;
  readonly #file: string;
  /** Receives each element's text and its first line; returns false to stop reading. */
  readonly #onElement: (text: string, line: number) => boolean;

  constructor(file: string, onElement: (text: string, line: number) => boolean) {
    this.#file = file;
    this.#onElement = onElement;
  }

  #fail(reason: string): never {
    throw new DataError('DATA_INVALID', 'data.path', `${this.#file}:${this.line}: ${reason}`);
  }

  /** Feeds the next chunk; false once the consumer asked to stop. */
  push(chunk: string): boolean {
    let start = this.#state === State.In ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.#state === State.In) {
        let endsAt = -1; // index one past the element's last character
        if (this.#inString) {
          if (this.#escape) this.#escape = false;
          else if (c === 0x5c) this.#escape = true;
          else if (c === 0x22) {
            this.#inString = false;
            if (this.#depth === 0) endsAt = i + 1;
          } else if (c !== 0x0a) {
            // Plain string text: jump to the next quote, backslash or line break (most of the bytes).
            STRING_STOP.lastIndex = i + 1;
            const stop = STRING_STOP.exec(chunk);
            i = (stop ? stop.index : chunk.length) - 1;
            continue;
          }
        } else if (this.#scalar) {
          if (isSpace(c) || c === 0x2c || c === 0x5d) endsAt = i;
        } else if (c === 0x22) this.#inString = true;
        else if (c === 0x7b || c === 0x5b) this.#depth++;
        else if (c === 0x7d || c === 0x5d) {
          if (--this.#depth === 0) endsAt = i + 1;
        }
        if (endsAt !== i && c === 0x0a) this.line++;
        if (endsAt === -1) continue;
        this.#parts.push(chunk.slice(start, endsAt));
        if (!this.#emit()) return false;
        // A string or bracketed element ends on its last character; a bare value (a number,
        // `true`, `null`) ends before `c`, which is then read below as what follows it.
        if (endsAt !== i) continue;
      }
      if (c === 0x0a) this.line++;
      if (isSpace(c)) continue;
      switch (this.#state) {
        case State.Start:
          if (c !== 0x5b) this.#fail(`expected a JSON array to open with "[", found ${JSON.stringify(chunk[i])}`);
          this.#state = State.First;
          break;
        case State.After:
          if (c === 0x2c) this.#state = State.Next;
          else if (c === 0x5d) this.#state = State.Done;
          else this.#fail(`expected "," or "]" after an entry of the array, found ${JSON.stringify(chunk[i])}`);
          break;
        case State.Done:
          this.#fail(`unexpected ${JSON.stringify(chunk[i])} after the closing "]" of the array`);
          break;
        default: // First, Next: an element starts here
          if (c === 0x5d && this.#state === State.First) {
            this.#state = State.Done;
            break;
          }
          if (c === 0x5d || c === 0x2c || c === 0x7d) this.#fail(`expected an entry of the array, found ${JSON.stringify(chunk[i])}`);
          this.#state = State.In;
          this.#startLine = this.line;
          start = i;
          this.#depth = c === 0x7b || c === 0x5b ? 1 : 0;
          this.#inString = c === 0x22;
          this.#escape = false;
          this.#scalar = !this.#inString && this.#depth === 0;
      }
    }
    if (this.#state === State.In) this.#parts.push(chunk.slice(start));
    return true;
  }

  /** Hands the collected element over; false once the consumer asked to stop. */
  #emit(): boolean {
    const text = this.#parts.join('');
    this.#parts = [];
    this.#state = State.After;
    return this.#onElement(text, this.#startLine);
  }

  /** Checks the file ended after the closing `]`. */
  end(): void {
    // A bare value at the very end is complete; the array around it is still unclosed.
    if (this.#state === State.In && this.#scalar && !this.#emit()) return;
    if (this.#state === State.In) this.#fail(`the file ends inside the entry that starts at line ${this.#startLine}: the array is not closed`);
    if (this.#state !== State.Done) this.#fail('the file ends before the closing "]" of the array');
  }
}
