import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAzureSample, generateBurstGptSample, generateMooncakeSample } from './samples.ts';
import type { SampleOptions } from './samples.ts';

/**
 * Writes the sample traces of `examples/data/` (one file per format) from the generators in
 * `samples.ts`. Run as a script to regenerate them:
 *
 *     node --import tsx lib/data/traces/generate.ts examples/data
 *
 * The files are a pure function of the table below, so running it again rewrites them byte for
 * byte (the tests check that the committed files are what it writes).
 */

/** One sample trace: its file name in the folder, its generator and size. */
export interface SampleTraceSpec {
  /** File name, e.g. `mooncake-sample.jsonl`. */
  file: string;
  /** Trace format, as `Trace.format` names it. */
  format: 'mooncake' | 'azure' | 'burstgpt';
  /** Builds the file's text. */
  generate(options: SampleOptions): string;
  /** Requests and seed of the committed sample. */
  options: SampleOptions;
}

/** The sample traces committed in `examples/data/`. */
export const SAMPLE_TRACES: readonly SampleTraceSpec[] = Object.freeze([
  { file: 'mooncake-sample.jsonl', format: 'mooncake', generate: generateMooncakeSample, options: { requests: 120, seed: 19 } },
  { file: 'azure-llm-sample.csv', format: 'azure', generate: generateAzureSample, options: { requests: 200, seed: 19 } },
  { file: 'burstgpt-sample.csv', format: 'burstgpt', generate: generateBurstGptSample, options: { requests: 200, seed: 19 } },
]);

/** The text of each sample trace, keyed by file name. */
export function sampleTraceFiles(): Map<string, string> {
  return new Map(SAMPLE_TRACES.map((s) => [s.file, s.generate(s.options)]));
}

/**
 * Writes every sample trace into `dir` (created if missing).
 * @returns the paths written.
 */
export async function writeSampleTraces(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of sampleTraceFiles()) {
    const path = join(dir, file);
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}

/** The command line: one argument, the folder to write into. */
async function main(argv: readonly string[]): Promise<number> {
  if (argv.length !== 1) {
    process.stderr.write('usage: node --import tsx lib/data/traces/generate.ts <folder>\n');
    return 2;
  }
  for (const path of await writeSampleTraces(resolve(argv[0]!))) process.stdout.write(`wrote ${path}\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
