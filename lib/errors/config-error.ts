import { BenchError } from './bench-error.ts';

/**
 * A configuration file, environment variable or option is wrong. The message names the file
 * and the path inside it: `targets.yaml: targets[1].base_ur: unknown key (did you mean base_url?)`.
 */
export class ConfigError extends BenchError {
  /** The file (or `env`, `options`) the bad value came from. */
  readonly source: string;
  /** Dotted/bracketed path of the bad value inside `source`, empty for the whole file. */
  readonly path: string;

  constructor(source: string, path: string, reason: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', `${source}: ${path ? `${path}: ` : ''}${reason}`, options);
    this.source = source;
    this.path = path;
  }
}
