import { existsSync, statSync } from 'node:fs';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { formatMegabytes } from '../lib/publish/files.ts';
import { type PublishOptions, publishRunFolder } from '../lib/publish/publish.ts';
import { publishSettings } from '../lib/publish/settings.ts';
import type { RunInfo } from '../lib/report/run-info.ts';
import { collectReports, toolInfo } from './collect.ts';
import { scrub } from '../lib/config/secrets.ts';
import { escapeControl } from '../lib/http/server-text.ts';
import { registerRunSecrets } from '../lib/run-folder/run-secrets.ts';
import { settings } from '../lib/settings/registry.ts';

/** First line of an error's message, for a log line. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim() || 'unknown error';
}

/**
 * Publishes run folders when `BENCH_PUBLISH` is set in `env` (see `lib/publish/publish.ts`),
 * one after the other, and logs one line per folder: `published: s3://bucket/prefix/<folder>/
 * (N files, X MB)`, or `vitest-llm-d: cannot publish <folder> to <url>: <reason> (the run folder
 * is kept locally)`. Folders that do not exist are skipped. Does nothing when `BENCH_PUBLISH` is
 * unset or empty; a malformed setting is one logged line. Never throws.
 */
export async function publishSuites(
  dirs: Iterable<string>,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  opts?: PublishOptions,
): Promise<void> {
  try {
    const settings = publishSettings(env);
    if (!settings) return;
    for (const dir of dirs) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
      try {
        const { url, files, bytes } = await publishRunFolder(dir, settings, opts);
        log(`published: ${url} (${files} file${files === 1 ? '' : 's'}, ${formatMegabytes(bytes)})`);
      } catch (err) {
        log(`vitest-llm-d: ${oneLine(err)}`);
      }
    }
  } catch (err) {
    log(`vitest-llm-d: ${oneLine(err)} (the run folders are kept locally)`);
  }
}

/**
 * Uploads each suite's run folder of this run to S3 or an S3-compatible store at the end of the
 * run when `BENCH_PUBLISH=s3://bucket/prefix` is set. It must come after the reporters that
 * write into the run folders, so that the folders are complete.
 */
export class PublishReporter implements Reporter {
  private vitest: Vitest | null = null;

  constructor(
    private readonly run: RunInfo,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>): Promise<void> {
    // S3 errors may quote an endpoint or a key: every line is scrubbed and shown with escapes.
    const log = (s: string): void => {
      const line = escapeControl(scrub(s));
      if (this.vitest) this.vitest.logger.log(line);
      else console.log(line);
    };
    try {
      if (!settings(this.env).has('BENCH_PUBLISH')) return;
      registerRunSecrets(this.env);
      // The same model the file-writing reporters built (cached per run): its suites' run folders.
      const dirs = [...collectReports(modules, this.run, toolInfo()).values()].map((report) => report.runDir);
      await publishSuites(dirs, this.env, log);
    } catch (err) {
      log(`vitest-llm-d: cannot publish the run folders: ${oneLine(err)} (the run folders are kept locally)`);
    }
  }
}
