/**
 * Uploading a finished run folder (`results/<stamp>-<suite>/`) to S3 or an S3-compatible store
 * (MinIO, Ceph, ...) with the settings `settings.ts` reads from `BENCH_PUBLISH` and the AWS
 * variables. The SDK is loaded only when something is published, so runs without
 * `BENCH_PUBLISH` do not pay for it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeError, isTransient, PublishError, redactSecrets } from './errors.ts';
import { contentTypeOf, displayPath, listFiles } from './files.ts';
import type { PublishCredentials, PublishSettings } from './settings.ts';

/** What {@link publishRunFolder} uploaded. */
export interface PublishResult {
  /** `s3://<bucket>/<prefix>/<folder>/`. */
  url: string;
  files: number;
  bytes: number;
}

/** Tuning of {@link publishRunFolder}; the defaults suit a run folder. */
export interface PublishOptions {
  /** Files uploaded at the same time (default 4). */
  concurrency?: number;
  /** Attempts per file for transient failures: network errors, timeouts, 5xx, throttling (default 3). */
  attempts?: number;
  /** Delay before the second attempt, doubled for each further one (default 500 ms). */
  retryDelayMs?: number;
}

/** Drops the SDK's own log lines (its warnings repeat the failure this module reports). */
const SILENT_LOGGER = { debug(): void {}, info(): void {}, warn(): void {}, error(): void {} };

/**
 * Uploads every file under `dir` (recursively) to `s3://<bucket>/<prefix>/<basename(dir)>/<path
 * relative to dir, with />`, each with its content type ({@link contentTypeOf}) and length,
 * streamed from disk (large `requests.jsonl` files are never read into memory), a few at a time.
 *
 * Each request has a connection timeout and a socket inactivity timeout of
 * `settings.timeoutMs`; transient failures are retried a limited number of times with a fresh
 * stream. The first file that still fails stops the upload: the promise rejects with a
 * {@link PublishError} whose message is one line, `cannot publish <dir> to <url>: <Code>:
 * <message> (...; the run folder is kept locally)`, with access keys, secrets, session tokens and
 * signatures removed even when the SDK or the server put them in its error. The local folder is
 * only ever read.
 */
export async function publishRunFolder(dir: string, settings: PublishSettings, opts: PublishOptions = {}): Promise<PublishResult> {
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const attempts = Math.max(1, opts.attempts ?? 3);
  const retryDelayMs = opts.retryDelayMs ?? 500;
  const folder = basename(dir);
  const base = [settings.prefix, folder].filter(Boolean).join('/');
  const url = `s3://${settings.bucket}/${base}/`;
  const secrets: Array<string | undefined> = [
    settings.credentials?.secretAccessKey,
    settings.credentials?.sessionToken,
    settings.credentials?.accessKeyId,
  ];
  let client: S3Client | null = null;
  let uploaded = 0;
  let total = 0;

  const fail = async (reason: string, file?: string): Promise<never> => {
    // Credentials the SDK found by itself (profile, SSO, metadata) are removed too; they are
    // memoized by then, so this does not contact anything.
    if (client && !settings.credentials) {
      try {
        const provider = client.config.credentials as unknown;
        const creds = (typeof provider === 'function' ? await Promise.race([
          (provider as () => Promise<PublishCredentials>)(),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 200).unref()),
        ]) : provider) as PublishCredentials | null;
        if (creds) secrets.push(creds.secretAccessKey, creds.sessionToken, creds.accessKeyId);
      } catch {
        // No credentials resolved: nothing more to remove.
      }
    }
    const where = file ? `uploading ${file}, ${uploaded} of ${total} files uploaded before; ` : '';
    const line = `cannot publish ${displayPath(dir)} to ${url}: ${reason} (${where}the run folder is kept locally)`;
    throw new PublishError(redactSecrets(line, secrets));
  };

  let files: string[];
  try {
    files = await listFiles(dir);
  } catch (err) {
    return fail(describeError(err, settings.timeoutMs));
  }
  total = files.length;

  try {
    // Node 20 is a supported runtime of this tool; the SDK's 9-line notice about its own future releases is not news to the user here.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { S3Client: Client } = await import('@aws-sdk/client-s3');
    client = new Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      ...(settings.profile ? { profile: settings.profile } : {}),
      requestChecksumCalculation: settings.checksums,
      responseChecksumValidation: settings.checksums,
      // Bodies are streams, which the SDK cannot replay: retries happen below, with a new stream.
      maxAttempts: 1,
      // The SDK would warn on the console about each failed streaming request; the failure is
      // reported once, in one line, by the caller.
      logger: SILENT_LOGGER,
      requestHandler: { connectionTimeout: settings.timeoutMs, socketTimeout: settings.timeoutMs },
    });
  } catch (err) {
    return fail(describeError(err, settings.timeoutMs));
  }
  const s3 = client;
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const abort = new AbortController();
  let bytes = 0;
  let failure: { reason: string; file: string } | null = null;

  const uploadOne = async (rel: string): Promise<void> => {
    const path = join(dir, rel);
    for (let attempt = 1; ; attempt++) {
      try {
        const size = (await stat(path)).size;
        // A fixed byte range: the length sent is the length declared, even if the file grows.
        const body = size === 0 ? new Uint8Array(0) : createReadStream(path, { start: 0, end: size - 1 });
        try {
          await s3.send(
            new PutObjectCommand({
              Bucket: settings.bucket,
              Key: `${base}/${rel}`,
              Body: body,
              ContentLength: size,
              ContentType: contentTypeOf(rel),
            }),
            { abortSignal: abort.signal },
          );
        } finally {
          if (!(body instanceof Uint8Array)) body.destroy();
        }
        bytes += size;
        uploaded++;
        return;
      } catch (err) {
        if (abort.signal.aborted) return;
        if (attempt >= attempts || !isTransient(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
        if (abort.signal.aborted) return;
      }
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (!abort.signal.aborted && next < files.length) {
      const rel = files[next++]!;
      try {
        await uploadOne(rel);
      } catch (err) {
        if (!failure) failure = { reason: describeError(err, settings.timeoutMs), file: rel };
        abort.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, files.length)) }, worker));
  } finally {
    s3.destroy();
  }
  const failed = failure as { reason: string; file: string } | null;
  if (failed) return fail(failed.reason, failed.file);
  return { url, files: uploaded, bytes };
}
