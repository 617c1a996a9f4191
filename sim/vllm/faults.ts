import type { SimFaults } from './options.ts';
import type { Rng } from './rng.ts';

/** Kinds of injected failure. */
export type FaultKind = 'error' | 'stall' | 'cut' | 'malformed' | 'empty';

/**
 * One injected failure for one request.
 * - `error`: answered at once with `status` and vLLM's error JSON.
 * - `stall`: the stream stops after the trigger and never ends (the engine slot is freed).
 * - `cut`: the socket is closed after the trigger, without the terminating chunk or [DONE].
 * - `malformed`: after the trigger, one extra SSE event whose data is not valid JSON; the stream
 *   then continues normally.
 * - `empty`: a 200 stream (or body) that finishes with zero content tokens.
 */
export interface Fault {
  kind: FaultKind;
  /** HTTP status of an `error` fault. */
  status?: number;
  /** Trigger after this many content chunks were sent (the `x-sim-fault: stall:5` form). */
  afterChunks?: number;
  /** Trigger once this many output tokens were sent (the options' `*_after_tokens`). */
  afterTokens?: number;
  /** Label written to the chunk log, e.g. `stall:5`, `error:503`, `cut`. */
  label: string;
}

/** The header a test sets to force a fault on one request. */
export const FAULT_HEADER = 'x-sim-fault';

/**
 * Parses an `x-sim-fault` header: `status=503`, `stall`, `stall:5`, `cut`, `cut:2`,
 * `malformed`, `malformed:3`, `empty`. A number is a count of content chunks; without one the
 * options' `*_after_tokens` applies. Returns a reason string when the value is not understood.
 */
export function parseFaultHeader(value: string, faults: SimFaults): Fault | string {
  const v = value.trim();
  const status = /^status=(\d{3})$/.exec(v);
  if (status) {
    const code = Number(status[1]);
    if (code < 400 || code > 599) return `x-sim-fault: status must be 400-599, got ${code}`;
    return { kind: 'error', status: code, label: `error:${code}` };
  }
  if (v === 'empty') return { kind: 'empty', label: 'empty' };
  const m = /^(stall|cut|malformed)(?::(\d+))?$/.exec(v);
  if (!m) return `x-sim-fault: expected status=NNN, stall[:n], cut[:n], malformed[:n] or empty, got ${JSON.stringify(value)}`;
  const kind = m[1] as 'stall' | 'cut' | 'malformed';
  if (m[2] !== undefined) return { kind, afterChunks: Number(m[2]), label: v };
  return { kind, afterTokens: faults[`${kind}_after_tokens`], label: kind };
}

/**
 * Whether a stream fault (stall, cut, malformed) triggers after `chunks` content chunks holding
 * `tokens` tokens were sent. Errors and `empty` act elsewhere.
 */
export function streamFaultDue(fault: Fault | null, chunks: number, tokens: number): boolean {
  if (!fault || fault.kind === 'error' || fault.kind === 'empty') return false;
  return fault.afterChunks !== undefined ? chunks >= fault.afterChunks : tokens >= (fault.afterTokens ?? 0);
}

/**
 * Draws the random fault of one request from the configured rates, or null. An error excludes
 * the stream faults; stall, cut and malformed are tried in that order.
 */
export function drawFault(rng: Rng, faults: SimFaults): Fault | null {
  if (faults.error_rate > 0 && rng.next() < faults.error_rate) {
    const status = faults.error_statuses[rng.int(faults.error_statuses.length)] ?? 500;
    return { kind: 'error', status, label: `error:${status}` };
  }
  for (const kind of ['stall', 'cut', 'malformed'] as const) {
    const rate = faults[`${kind}_rate`];
    if (rate > 0 && rng.next() < rate) return { kind, afterTokens: faults[`${kind}_after_tokens`], label: kind };
  }
  return null;
}

/** Error type and message of an injected status, in vLLM's / llm-d-inference-sim's wording. */
export function injectedError(status: number): { type: string; message: string } {
  switch (status) {
    case 400:
      return { type: 'BadRequestError', message: 'Injected failure: invalid request' };
    case 401:
      return { type: 'AuthenticationError', message: 'Injected failure: invalid API key' };
    case 404:
      return { type: 'NotFoundError', message: 'Injected failure: model not found' };
    case 429:
      return { type: 'RateLimitError', message: 'Injected failure: rate limit reached' };
    case 503:
      return { type: 'ServiceUnavailableError', message: 'The server is overloaded or not ready yet.' };
    default:
      return { type: 'InternalServerError', message: 'Injected failure: internal server error' };
  }
}
