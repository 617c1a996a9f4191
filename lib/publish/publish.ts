import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors/config-error.ts';
import { MAX_TIMER_S, TIMER_LIMIT_TEXT } from '../config/schema/timer-limit.ts';

/**
 * Publishing a finished run folder (`results/<stamp>-<suite>/`) to S3 or an S3-compatible store
 * (MinIO, Ceph, ...) when `BENCH_PUBLISH=s3://bucket/prefix` is set.
 *
 * Endpoint, region and credentials come from the standard AWS variables, read from the `env`
 * given to {@link publishSettings}: `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_REGION` /
 * `AWS_DEFAULT_REGION` (default `us-east-1`), and `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
 * `AWS_SESSION_TOKEN`; without keys, the SDK's default chain (`AWS_PROFILE`, shared config and
 * credentials files, SSO, container and instance metadata) finds them. The SDK is loaded only
 * when something is published, so runs without `BENCH_PUBLISH` do not pay for it.
 */

/** Where run folders go: `s3://<bucket>/<prefix>`; `prefix` has no leading or trailing `/` and may be empty. */
export interface PublishTarget {
  bucket: string;
  prefix: string;
}

/** AWS credentials given in the environment (never printed: see {@link publishRunFolder}). */
export interface PublishCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Everything {@link publishRunFolder} needs, read from the environment by {@link publishSettings}. */
export interface PublishSettings extends PublishTarget {
  /** Custom endpoint (MinIO, ...), or null for AWS S3 itself. */
  endpoint: string | null;
  region: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`: on by default with a custom endpoint. */
  forcePathStyle: boolean;
  /** Connection timeout and socket inactivity timeout of each request, in ms. */
  timeoutMs: number;
  /** Keys from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, or null for the SDK's default chain. */
  credentials: PublishCredentials | null;
  /** `AWS_PROFILE` for the SDK's default chain, or null. */
  profile: string | null;
  /**
   * When the SDK adds CRC checksums to uploads. AWS S3 takes them (`WHEN_SUPPORTED`, the SDK
   * default); many S3-compatible stores do not understand the `aws-chunked` bodies they need and
   * would store the framing in the object, so with a custom endpoint it is `WHEN_REQUIRED` unless
   * `AWS_REQUEST_CHECKSUM_CALCULATION` says otherwise.
   */
  checksums: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
}

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

/** Default of `BENCH_PUBLISH_TIMEOUT_S`. */
export const DEFAULT_PUBLISH_TIMEOUT_S = 30;

const PUBLISH_FORM = 's3://<bucket>[/<prefix>]';
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `BENCH_PUBLISH`: `s3://bucket`, `s3://bucket/prefix`, `s3://bucket/a/b/` (repeated and
 * trailing slashes are dropped from the prefix). Throws a {@link ConfigError} naming
 * `BENCH_PUBLISH` when the scheme is not `s3://`, the bucket is missing or not a valid bucket
 * name (3 to 63 lowercase letters, digits, dots and hyphens), or the text has a query or fragment.
 */
export function parsePublishUrl(text: string): PublishTarget {
  const bad = (reason: string): ConfigError => new ConfigError('env', 'BENCH_PUBLISH', `${reason} (expected ${PUBLISH_FORM})`);
  const value = text.trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value);
  if (!scheme || scheme[1]!.toLowerCase() !== 's3') {
    throw bad(`${JSON.stringify(value)} is not an s3:// URL`);
  }
  const rest = value.slice(scheme[0].length);
  if (/[?#]/.test(rest)) throw bad(`${JSON.stringify(value)} has a query or fragment`);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!bucket) throw bad(`${JSON.stringify(value)} names no bucket`);
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw bad(`bucket ${JSON.stringify(bucket)} is not a valid bucket name (3 to 63 lowercase letters, digits, dots and hyphens)`);
  }
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).split('/').filter(Boolean).join('/');
  return { bucket, prefix };
}

/**
 * The publish settings of `env`, or null when `BENCH_PUBLISH` is unset or empty. Reads
 * `BENCH_PUBLISH`, `BENCH_PUBLISH_PATH_STYLE` (`true`/`false`; default: on with a custom
 * endpoint), `BENCH_PUBLISH_TIMEOUT_S` (default 30) and the standard AWS variables (see the
 * module comment). Throws a {@link ConfigError} naming the variable when one is malformed.
 */
export function publishSettings(env: NodeJS.ProcessEnv = process.env): PublishSettings | null {
  const url = env.BENCH_PUBLISH?.trim();
  if (!url) return null;
  const target = parsePublishUrl(url);

  const endpointKey = env.AWS_ENDPOINT_URL_S3?.trim() ? 'AWS_ENDPOINT_URL_S3' : env.AWS_ENDPOINT_URL?.trim() ? 'AWS_ENDPOINT_URL' : null;
  let endpoint: string | null = null;
  if (endpointKey) {
    const raw = env[endpointKey]!.trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(raw);
    } catch {
      parsed = null;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
      throw new ConfigError('env', endpointKey, 'not an http(s) URL (e.g. http://127.0.0.1:9000)');
    }
    endpoint = raw;
  }

  let forcePathStyle = endpoint !== null;
  const pathStyle = env.BENCH_PUBLISH_PATH_STYLE?.trim().toLowerCase();
  if (pathStyle) {
    if (pathStyle === 'true' || pathStyle === '1') forcePathStyle = true;
    else if (pathStyle === 'false' || pathStyle === '0') forcePathStyle = false;
    else throw new ConfigError('env', 'BENCH_PUBLISH_PATH_STYLE', `${JSON.stringify(env.BENCH_PUBLISH_PATH_STYLE)} is not true or false`);
  }

  let timeoutS = DEFAULT_PUBLISH_TIMEOUT_S;
  const timeoutText = env.BENCH_PUBLISH_TIMEOUT_S?.trim();
  if (timeoutText) {
    timeoutS = Number(timeoutText);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > MAX_TIMER_S) {
      throw new ConfigError('env', 'BENCH_PUBLISH_TIMEOUT_S', `expected a positive number of seconds, ${TIMER_LIMIT_TEXT}, got ${JSON.stringify(timeoutText)}`);
    }
  }

  const checksumText = env.AWS_REQUEST_CHECKSUM_CALCULATION?.trim().toUpperCase();
  let checksums: PublishSettings['checksums'] = endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  if (checksumText) {
    if (checksumText !== 'WHEN_SUPPORTED' && checksumText !== 'WHEN_REQUIRED') {
      throw new ConfigError('env', 'AWS_REQUEST_CHECKSUM_CALCULATION', 'is not WHEN_SUPPORTED or WHEN_REQUIRED');
    }
    checksums = checksumText;
  }

  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  const sessionToken = env.AWS_SESSION_TOKEN?.trim();
  const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : null;

  return {
    ...target,
    endpoint,
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
    forcePathStyle,
    timeoutMs: Math.round(timeoutS * 1000),
    credentials,
    profile: env.AWS_PROFILE?.trim() || null,
    checksums,
  };
}

/** `s3://bucket/prefix/` (with the trailing slash; `s3://bucket/` without a prefix). */
export function publishTargetUrl(target: PublishTarget): string {
  return `s3://${target.bucket}/${target.prefix ? `${target.prefix}/` : ''}`;
}

/** Content type of a run-folder file, by extension. */
export function contentTypeOf(file: string): string {
  switch (extname(file).toLowerCase()) {
    case '.json':
      return 'application/json';
    case '.jsonl':
    case '.ndjson':
      return 'application/x-ndjson';
    case '.xml':
      return 'application/xml';
    case '.html':
    case '.htm':
      return 'text/html; charset=utf-8';
    case '.txt':
    case '.log':
      return 'text/plain; charset=utf-8';
    case '.csv':
      return 'text/csv; charset=utf-8';
    case '.yaml':
    case '.yml':
      return 'application/yaml';
    default:
      return 'application/octet-stream';
  }
}

/** Every regular file under `dir` (symbolic links followed), as paths relative to `dir` with `/`, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true });
    for (const entry of entries) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const s = await stat(join(dir, rel));
        isDir = s.isDirectory();
        isFile = s.isFile();
      }
      if (isDir) await walk(rel);
      else if (isFile) out.push(rel);
    }
  };
  await walk('');
  return out.sort();
}

/** A path as the user would type it: relative to the working directory when inside it. */
function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
}

/** Removes credentials and signatures from text an SDK or server produced. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('<redacted>');
  }
  return out
    .replace(/(Signature=)[0-9a-fA-F]+/g, '$1<redacted>')
    .replace(/(X-Amz-(?:Security-Token|Credential|Signature)=)[^&\s"'<>]+/gi, '$1<redacted>')
    .replace(/(Credential=)[^,\s"'<>&]+/g, '$1<redacted>')
    .replace(/((?:aws_)?(?:secret_access_key|session_token|secretAccessKey|sessionToken)["']?\s*[=:]\s*["']?)[^\s"',}]+/gi, '$1<redacted>');
}

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** `Code: message` of an SDK, network or file error, on one line (credentials not yet removed). */
function describeError(err: unknown, timeoutMs: number): string {
  const e = (err ?? {}) as SdkError;
  if (e.name === 'TimeoutError') {
    return `TimeoutError: no connection or no progress within ${timeoutMs / 1000} s (BENCH_PUBLISH_TIMEOUT_S)`;
  }
  // Node's happy-eyeballs connect failures are AggregateErrors with an empty message.
  if (!e.message && Array.isArray(e.errors) && e.errors.length > 0) return describeError(e.errors[0], timeoutMs);
  const code = e.Code ?? e.code ?? (e.name && e.name !== 'Error' ? e.name : undefined);
  const status = e.$metadata?.httpStatusCode;
  let message = (e.message ?? String(err)).split('\n').map((s) => s.trim()).filter(Boolean).join(' ');
  if (!message || message === 'UnknownError' || message === code) message = status ? `HTTP ${status}` : 'no details';
  return code && !message.startsWith(`${code}:`) && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Whether another attempt may succeed: network errors, timeouts, server errors and throttling. */
function isTransient(err: unknown): boolean {
  const e = (err ?? {}) as SdkError;
  if (e.name === 'AbortError') return false;
  if (e.name === 'TimeoutError' || e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  const code = e.code ?? '';
  return /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNABORTED)$/.test(code) ||
    (Array.isArray(e.errors) && e.errors.some(isTransient));
}

/** Drops the SDK's own log lines (its warnings repeat the failure this module reports). */
const SILENT_LOGGER = { debug(): void {}, info(): void {}, warn(): void {}, error(): void {} };

/** Why the upload failed, raised by {@link publishRunFolder}: the message is the one line to print. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
    this.stack = `${this.name}: ${message}`;
  }
}

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

/** `2.4 MB` (decimal megabytes; two decimals below 1 MB). */
export function formatMegabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb < 1 ? mb.toFixed(2) : mb.toFixed(1)} MB`;
}
