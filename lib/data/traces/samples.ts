import { prngFor } from '../../stats/prng.ts';
import type { Prng } from '../../stats/prng.ts';
import { AZURE_COLUMNS, formatAzureTimestamp } from './azure.ts';
import { BURSTGPT_COLUMNS } from './burstgpt.ts';
import { formatMooncakeLine, MOONCAKE_BLOCK_SIZE } from './mooncake.ts';
import type { MooncakeRecord } from './mooncake.ts';

/**
 * The project's own small traces in each format (nothing is downloaded): seeded, so the same
 * seed and size always give the same file, byte for byte, and shaped like the real ones:
 * arrivals alternate calm stretches and bursts (a two-state modulated Poisson process, the
 * burstiness BurstGPT and the Azure traces show), lengths are long-tailed (log-normal), and the
 * Mooncake sample reuses prefixes as its conversation trace does: a few shared system blocks,
 * and follow-up turns that extend an earlier request's full blocks.
 */

/** Size and seed of a generated trace. */
export interface SampleOptions {
  /** Requests in the file. */
  requests: number;
  /** Seed; the same seed and size give the same file. */
  seed: number;
}

const TWO_32 = 4294967296;

/** A uniform number in the open interval (0, 1). */
function uniform(prng: Prng): number {
  return (prng.next() + 0.5) / TWO_32;
}

/** A log-normal integer with median `median` and shape `sigma`, clamped to `[min, max]`. */
function logNormal(prng: Prng, median: number, sigma: number, min: number, max: number): number {
  const z = Math.sqrt(-2 * Math.log(uniform(prng))) * Math.cos(2 * Math.PI * uniform(prng));
  return Math.min(max, Math.max(min, Math.round(median * Math.exp(sigma * z))));
}

/**
 * Arrival offsets in seconds, increasing from 0: a Poisson process at `rate` per second that
 * switches to ten times that rate for bursts (each stretch exponential, mean 8 s calm, 2 s burst).
 */
function burstyArrivals(prng: Prng, count: number, rate: number): number[] {
  const out: number[] = [0];
  let t = 0;
  let burst = false;
  let switchAt = -8 * Math.log(uniform(prng));
  while (out.length < count) {
    t += -Math.log(uniform(prng)) / (burst ? rate * 10 : rate);
    while (t >= switchAt) {
      burst = !burst;
      switchAt += -(burst ? 2 : 8) * Math.log(uniform(prng));
    }
    out.push(t);
  }
  return out;
}

/**
 * A Mooncake JSONL trace: integer millisecond timestamps, `ceil(input_length / 512)` hash ids a
 * request. A request either opens a conversation (one of four system prompts of 1-3 blocks,
 * then blocks of its own) or, two times in five, follows up an earlier one: that request's full
 * blocks, then new ones, so it is longer and shares a prefix of whole blocks with it.
 */
export function generateMooncakeSample({ requests, seed }: SampleOptions): string {
  const prng = prngFor(seed, 0x4d4f4f4e);
  const times = burstyArrivals(prng, requests, 3);
  let nextId = 0;
  const systems = Array.from({ length: 4 }, () => Array.from({ length: 1 + prng.below(3) }, () => nextId++));
  const done: MooncakeRecord[] = [];
  const lines: string[] = [];
  for (let i = 0; i < requests; i++) {
    const earlier = done.length > 0 && prng.below(5) < 2 ? done[done.length - 1 - prng.below(Math.min(done.length, 8))] : undefined;
    const shared = earlier ? earlier.hash_ids.slice(0, Math.floor(earlier.input_length / MOONCAKE_BLOCK_SIZE)) : systems[prng.below(systems.length)]!;
    const fresh = logNormal(prng, 900, 0.6, 1, 6000);
    const input = shared.length * MOONCAKE_BLOCK_SIZE + fresh;
    const ids = [...shared];
    while (ids.length < Math.ceil(input / MOONCAKE_BLOCK_SIZE)) ids.push(nextId++);
    const record: MooncakeRecord = { timestamp: Math.round(times[i]! * 1000), input_length: input, output_length: logNormal(prng, 180, 0.8, 1, 2000), hash_ids: ids };
    done.push(record);
    lines.push(formatMooncakeLine(record));
  }
  return `${lines.join('\n')}\n`;
}

/** Start of the generated Azure trace: the day the 2023 trace was collected. */
const AZURE_START_S = Date.UTC(2023, 10, 16, 18, 15, 46) / 1000;

/**
 * An Azure LLM inference CSV like the 2023 conversation trace: `TIMESTAMP` datetimes with
 * seven fractional digits from 2023-11-16 18:15:46, long-tailed prompts (median 1,000 tokens)
 * and shorter outputs (median 200).
 */
export function generateAzureSample({ requests, seed }: SampleOptions): string {
  const prng = prngFor(seed, 0x415a5552);
  const times = burstyArrivals(prng, requests, 4);
  const fraction = uniform(prng);
  const rows = times.map((t) => {
    const stamp = formatAzureTimestamp(AZURE_START_S + fraction + t);
    return `${stamp},${logNormal(prng, 1000, 0.9, 2, 8000)},${logNormal(prng, 200, 0.9, 1, 1500)}`;
  });
  return `${[AZURE_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

/**
 * A BurstGPT CSV like `BurstGPT_1.csv`: integer-second timestamps, `ChatGPT` four times in five
 * and `GPT-4` otherwise, conversation and API logs, and about one request in twenty failed
 * (`Response tokens` 0, `Total tokens` equal to the request's), as the README describes failures.
 */
export function generateBurstGptSample({ requests, seed }: SampleOptions): string {
  const prng = prngFor(seed, 0x42555253);
  const times = burstyArrivals(prng, requests, 1.5);
  const rows = times.map((t) => {
    const model = prng.below(5) < 4 ? 'ChatGPT' : 'GPT-4';
    const logType = prng.below(3) < 2 ? 'Conversation log' : 'API log';
    const input = logNormal(prng, 600, 1, 1, 8000);
    const output = prng.below(20) === 0 ? 0 : logNormal(prng, 250, 0.8, 1, 2000);
    return `${Math.floor(t)},${model},${input},${output},${input + output},${logType}`;
  });
  return `${[BURSTGPT_COLUMNS.join(','), ...rows].join('\n')}\n`;
}
