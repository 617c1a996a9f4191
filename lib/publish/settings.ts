/**
 * Where a finished run folder goes and how it is sent, when `BENCH_PUBLISH=s3://bucket/prefix`
 * is set: the bucket and prefix, an S3-compatible endpoint (MinIO, Ceph, ...), the region,
 * credentials and timeouts, all read through the settings registry.
 *
 * Endpoint, region and credentials come from the standard AWS variables, read from the `env`
 * given to {@link publishSettings}: `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_REGION` /
 * `AWS_DEFAULT_REGION` (default `us-east-1`), and `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
 * `AWS_SESSION_TOKEN`; without keys, the SDK's default chain (`AWS_PROFILE`, shared config and
 * credentials files, SSO, container and instance metadata) finds them.
 */
import { ConfigError } from '../errors/config-error.ts';
import { DEFAULT_PUBLISH_TIMEOUT_S } from '../settings/results.ts';
import { settings } from '../settings/registry.ts';

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

/** Default of `BENCH_PUBLISH_TIMEOUT_S`. */
export { DEFAULT_PUBLISH_TIMEOUT_S };

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
  const s = settings(env);
  const url = s.get('BENCH_PUBLISH');
  if (url === undefined) return null;
  const target = parsePublishUrl(url);

  const endpointKey = s.has('AWS_ENDPOINT_URL_S3') ? 'AWS_ENDPOINT_URL_S3' : s.has('AWS_ENDPOINT_URL') ? 'AWS_ENDPOINT_URL' : null;
  let endpoint: string | null = null;
  if (endpointKey) {
    const raw = s.get(endpointKey)!;
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

  const forcePathStyle = s.get('BENCH_PUBLISH_PATH_STYLE') ?? endpoint !== null;
  const timeoutS = s.get('BENCH_PUBLISH_TIMEOUT_S');
  const checksums = s.get('AWS_REQUEST_CHECKSUM_CALCULATION') ?? (endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED');

  const accessKeyId = s.get('AWS_ACCESS_KEY_ID');
  const secretAccessKey = s.get('AWS_SECRET_ACCESS_KEY');
  const sessionToken = s.get('AWS_SESSION_TOKEN');
  const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : null;

  return {
    ...target,
    endpoint,
    region: s.get('AWS_REGION') ?? s.get('AWS_DEFAULT_REGION'),
    forcePathStyle,
    timeoutMs: Math.round(timeoutS * 1000),
    credentials,
    profile: s.get('AWS_PROFILE') ?? null,
    checksums,
  };
}

/** `s3://bucket/prefix/` (with the trailing slash; `s3://bucket/` without a prefix). */
export function publishTargetUrl(target: PublishTarget): string {
  return `s3://${target.bucket}/${target.prefix ? `${target.prefix}/` : ''}`;
}

