import { countField, forEachCsvRow, offsetsFromFirst, traceLineError } from './trace.ts';
import type { Trace, TraceRequest } from './trace.ts';

/**
 * The Azure LLM inference trace (CSV), as its owners define it: Azure/AzurePublicDataset,
 * `AzureLLMInferenceDataset2023.md` (the Splitwise traces `data/AzureLLMInferenceTrace_code.csv`
 * and `_conv.csv`) and `AzureLLMInferenceDataset2024.md` (the DynamoLLM week-long traces), both
 * with the header `TIMESTAMP,ContextTokens,GeneratedTokens`:
 *
 * - `TIMESTAMP`: the request's arrival as a wall-clock date and time, e.g.
 *   `2023-11-16 18:15:46.6805900` (seven fractional digits: 100 ns ticks); the 2024 files may
 *   carry a UTC offset (`+00:00`). A time without an offset is read as UTC; only differences
 *   matter, so the replay offset is the time since the earliest request, in seconds;
 * - `ContextTokens`: prompt tokens;
 * - `GeneratedTokens`: output tokens.
 *
 * The trace records no prompt contents, no prefix blocks and no session.
 */

/** Columns of the Azure trace. */
export const AZURE_COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Whole seconds since the Unix epoch and the fraction of a second of an Azure `TIMESTAMP`. */
interface AzureTime {
  wholeS: number;
  fraction: number;
}

/** The parts of an Azure `TIMESTAMP`, or `undefined` when the text is not such a date and time. */
function azureTime(text: string): AzureTime | undefined {
  const m = DATETIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  let offsetS = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    offsetS = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 3600 + Number(digits.slice(3, 5)) * 60);
  }
  return { wholeS: ms / 1000 - offsetS, fraction: m[7] === undefined ? 0 : Number(`0.${m[7]}`) };
}

/**
 * Seconds since the Unix epoch of an Azure `TIMESTAMP`, fractional digits kept.
 * @returns `undefined` when the text is not such a date and time.
 */
export function parseAzureTimestamp(text: string): number | undefined {
  const t = azureTime(text);
  return t && t.wholeS + t.fraction;
}

/**
 * Reads an Azure LLM inference trace: `TIMESTAMP` datetimes become seconds from the earliest
 * request, `ContextTokens` / `GeneratedTokens` the token lengths.
 * @throws DataError `DATA_INVALID` naming the file, line and field of the first malformed row.
 */
export async function readAzureTrace(file: string): Promise<Trace> {
  const requests: TraceRequest[] = [];
  const times: number[] = [];
  let base: number | undefined;
  await forEachCsvRow(file, AZURE_COLUMNS, (cells, line) => {
    const t = azureTime(cells.TIMESTAMP!);
    if (t === undefined) {
      throw traceLineError(file, line, 'TIMESTAMP', `expected a date and time like 2023-11-16 18:15:46.6805900, got ${JSON.stringify(cells.TIMESTAMP)}`);
    }
    const inputTokens = countField(cells.ContextTokens, file, line, 'ContextTokens');
    if (inputTokens < 1) throw traceLineError(file, line, 'ContextTokens', 'expected at least 1 token, got 0');
    requests.push({ atS: 0, inputTokens, outputTokens: countField(cells.GeneratedTokens, file, line, 'GeneratedTokens'), line });
    // Whole seconds from the first row's, plus the fraction: small numbers, so the 100 ns
    // digits survive the subtraction that epoch seconds (about 1.7e9) would round away.
    base ??= t.wholeS;
    times.push(t.wholeS - base + t.fraction);
  });
  return { format: 'azure', file, requests: offsetsFromFirst(requests, times, 1) };
}

/**
 * An Azure `TIMESTAMP` of `epochS` seconds (UTC, no offset), with seven fractional digits as in
 * the 2023 trace; `epochS` is rounded to 100 ns.
 */
export function formatAzureTimestamp(epochS: number): string {
  const ticks = Math.round(epochS * 1e7);
  const whole = Math.floor(ticks / 1e7);
  const iso = new Date(whole * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(ticks - whole * 1e7).padStart(7, '0')}`;
}
