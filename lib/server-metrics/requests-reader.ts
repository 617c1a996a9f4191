/**
 * Reading one test's request records back from its run folder's `requests.jsonl`
 * (`lib/run-folder/requests-file.ts` writes them, one line per finished request, as they finish).
 *
 * A test's lines are told apart by their `x-request-id`: the runner names request `i` of a run
 * `<suite>-<scenario>-<clock anchor in base 36>-<i>` (`lib/scenario/run-scenario.ts`), and the
 * report keeps the clock anchor, so the prefix is unique to one `bench.run` even when the same
 * scenario runs twice or other test files of the suite append to the same file.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BenchError } from '../errors/bench-error.ts';
import { requestIdPrefix, type TestReport } from '../report/model.ts';

export { requestIdPrefix };

/** The fields of a `requests.jsonl` line this room reads. */
export interface RequestLine {
  scenario: string;
  seq: number;
  request_id: string;
  warmup: boolean;
  /** Prompt content tokens by the client's tokenizer. */
  prompt_tokens: number;
  /** ms from the test's clock anchor; null when the request was never written. */
  sent_ms: number | null;
  status: number | null;
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens: number | null } | null;
  error: { class: string; message: string } | null;
  /** Null for warm-up requests. */
  metrics: { ttft_ms: number | null } | null;
}

/**
 * The records of the run behind `report` (warm-up included), in `seq` order. Lines of other
 * runs are skipped; so is a line that does not parse (another writer's line cut by a crash).
 * @throws BenchError `REQUESTS_UNREADABLE` when the file cannot be read, `REQUESTS_MISSING` when it holds none of this run's records.
 */
export async function readTestRequests(report: Pick<TestReport, 'suite' | 'scenario' | 'run' | 'runDir' | 'files'>): Promise<RequestLine[]> {
  const path = join(report.runDir, report.files.requests);
  const prefix = requestIdPrefix(report);
  const out: RequestLine[] = [];
  try {
    const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      // Cheap filter before parsing: the id appears verbatim in the JSON text.
      if (!line.includes(`"request_id":"${prefix}`)) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      const r = parsed as RequestLine;
      if (typeof r.request_id === 'string' && r.request_id.startsWith(prefix) && typeof r.seq === 'number') out.push(r);
    }
  } catch (err) {
    throw new BenchError('REQUESTS_UNREADABLE', `cannot read the request records ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (out.length === 0) throw new BenchError('REQUESTS_MISSING', `${path} holds no record of ${report.suite}/${report.scenario} (request ids ${prefix}*)`);
  return out.sort((a, b) => a.seq - b.seq);
}
