import { countField, forEachCsvRow, offsetsFromFirst, traceLineError } from './trace.ts';
import type { Trace, TraceRequest } from './trace.ts';

/**
 * The BurstGPT trace (CSV), as its owners define it: HPMLL/BurstGPT, `README.md` and the files
 * `data/BurstGPT_1.csv` / `BurstGPT_without_fails_1.csv`, header
 * `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`:
 *
 * - `Timestamp`: the request's arrival in seconds from the start of the trace;
 * - `Model`: `ChatGPT` or `GPT-4`;
 * - `Request tokens`, `Response tokens`, `Total tokens`: prompt, output and their sum;
 * - `Log Type`: `Conversation log` or `API log`.
 *
 * Failures: the README says the files with fails contain requests whose `Response tokens` are 0
 * ("some failure that `Response tokens` are 0s"), and the `_without_fails` files are the same
 * trace without them. Such rows are dropped by default, as the without-fails files do, and
 * counted in `skipped`; `failures: 'keep'` replays them (output 0). Newer releases add
 * `Session ID` (and `Elapsed time`) columns; a `Session ID` column, when present, is the session.
 * vLLM's BurstGPT dataset (`vllm/benchmarks/datasets.py`, `BurstGPTDataset.load_data`) reads the
 * same columns and removes the same failures (`Response tokens > 0`), after keeping one `Model`
 * (`GPT-4`); `model` here does that filter when asked.
 */

/** Columns every BurstGPT file has. */
export const BURSTGPT_COLUMNS = ['Timestamp', 'Model', 'Request tokens', 'Response tokens', 'Total tokens', 'Log Type'] as const;

/** How to read a BurstGPT trace. */
export interface BurstGptReadOptions {
  /** `drop` (default) leaves out the failed requests (`Response tokens` 0); `keep` replays them. */
  failures?: 'drop' | 'keep';
  /** Keep only the rows of this `Model` (e.g. `ChatGPT`), as vLLM's loader filters; default all. */
  model?: string;
}

/**
 * Reads a BurstGPT trace: `Timestamp` seconds become seconds from the earliest request, the token
 * columns the lengths, `Model` the model. `Total tokens` must equal the sum of the other two.
 * @throws DataError `DATA_INVALID` naming the file, line and field of the first malformed row.
 */
export async function readBurstGptTrace(file: string, options: BurstGptReadOptions = {}): Promise<Trace> {
  const requests: TraceRequest[] = [];
  const times: number[] = [];
  let failed = 0;
  let otherModel = 0;
  await forEachCsvRow(file, BURSTGPT_COLUMNS, (cells, line) => {
    const ts = cells.Timestamp === '' ? Number.NaN : Number(cells.Timestamp);
    if (!Number.isFinite(ts) || ts < 0) {
      throw traceLineError(file, line, 'Timestamp', `expected seconds >= 0, got ${JSON.stringify(cells.Timestamp)}`);
    }
    const inputTokens = countField(cells['Request tokens'], file, line, 'Request tokens');
    const outputTokens = countField(cells['Response tokens'], file, line, 'Response tokens');
    const total = countField(cells['Total tokens'], file, line, 'Total tokens');
    if (total !== inputTokens + outputTokens) {
      throw traceLineError(file, line, 'Total tokens', `expected Request tokens + Response tokens = ${inputTokens + outputTokens}, got ${total}`);
    }
    if (inputTokens < 1) throw traceLineError(file, line, 'Request tokens', 'expected at least 1 token, got 0');
    const model = cells.Model!;
    if (model === '') throw traceLineError(file, line, 'Model', 'expected a model name, got an empty cell');
    if (options.model !== undefined && model !== options.model) {
      otherModel++;
      return;
    }
    if (outputTokens === 0 && options.failures !== 'keep') {
      failed++;
      return;
    }
    const request: TraceRequest = { atS: 0, inputTokens, outputTokens, model, line };
    const session = cells['Session ID'];
    if (session !== undefined && session !== '') request.session = session;
    requests.push(request);
    times.push(ts);
  });
  const notes = [
    failed > 0 ? `${failed} failed request(s) (Response tokens 0) dropped` : '',
    otherModel > 0 ? `${otherModel} request(s) of other models than ${options.model} left out` : '',
  ].filter(Boolean);
  const trace: Trace = { format: 'burstgpt', file, requests: offsetsFromFirst(requests, times, 1) };
  if (notes.length > 0) trace.skipped = notes.join('; ');
  return trace;
}
