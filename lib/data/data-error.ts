import { BenchError } from '../errors/bench-error.ts';

/**
 * Codes of {@link DataError}:
 * - `DATA_INVALID`: a data config value cannot be used (the message names the value and its path);
 * - `DATA_UNKNOWN_TYPE`: `data.type` names no registered source;
 * - `DATA_NOT_PREPARED`: a prompt was asked for before `prepare` built it;
 * - `DATA_UNBUILDABLE`: the tokenizer cannot yield a prompt of the asked size.
 */
export type DataErrorCode = 'DATA_INVALID' | 'DATA_UNKNOWN_TYPE' | 'DATA_NOT_PREPARED' | 'DATA_UNBUILDABLE';

/**
 * A data source cannot be set up or used as asked. Thrown before measurements start (config
 * values, tokenizer) or by a misuse of the source (`get` before `prepare`), never per request.
 * The message starts with the config path when there is one: `data.prompt_tokens[1]: ...`.
 */
export class DataError extends BenchError {
  /** Config path of the bad value, e.g. `data.prompt_tokens[1]`; empty when none applies. */
  readonly path: string;

  constructor(code: DataErrorCode, path: string, reason: string, options?: { cause?: unknown }) {
    super(code, path ? `${path}: ${reason}` : reason, options);
    this.path = path;
  }
}
