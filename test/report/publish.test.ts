import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { ConfigError } from '../../lib/errors/config-error.ts';
import { PublishError } from '../../lib/publish/errors.ts';
import { contentTypeOf } from '../../lib/publish/files.ts';
import { publishRunFolder } from '../../lib/publish/publish.ts';
import { parsePublishUrl, publishSettings, type PublishSettings } from '../../lib/publish/settings.ts';
import { runDirOf } from '../../lib/report/run-info.ts';
import { PublishReporter, publishSuites } from '../../reporters/publish-reporter.ts';
import { closedPort } from '../http/drive.ts';

// The SDK's one-time notice that its 2027 releases need Node 22 is not what these tests check.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** s3rver 3.7.1 (CommonJS, no types): the part of its API used here. */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets?: Array<{ name: string }>;
}) => S3rverServer;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

const BUCKET = 'bench-results';
/** s3rver's built-in key pair. */
const KEY_ID = 'S3RVER';
const SECRET = 'S3RVER';
const STAMP = '2026-11-23T10-55-00Z';

let server: S3rverServer;
let endpoint: string;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'publish-test-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, directory: join(tmp, 's3'), silent: true, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Environment of a run publishing to the loopback s3rver. */
function envFor(over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    BENCH_PUBLISH: `s3://${BUCKET}/ci/nightly`,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_REGION: 'us-east-1',
    ...over,
  };
}

function settingsFor(over: NodeJS.ProcessEnv = {}): PublishSettings {
  const s = publishSettings(envFor(over));
  if (!s) throw new Error('BENCH_PUBLISH not set');
  return s;
}

/** A run folder like the reporters write, with a nested benchmark-report/ and a multi-MB requests.jsonl. */
function makeRunFolder(suite: string, root = join(tmp, `results-${randomBytes(4).toString('hex')}`)): { dir: string; files: Map<string, Buffer> } {
  const dir = runDirOf({ stamp: STAMP, resultsDir: root }, suite);
  const files = new Map<string, Buffer>();
  const put = (rel: string, body: Buffer | string): void => {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), buf);
    files.set(rel, buf);
  };
  const lines: string[] = [];
  for (let i = 0; i < 25_000; i++) {
    lines.push(JSON.stringify({ i, sent: i * 10.5, firstChunk: i * 10.5 + 31.25, end: i * 10.5 + 420.5, text: 'tokens é ü 😀 '.repeat(10) }));
  }
  put('requests.jsonl', `${lines.join('\n')}\n`);
  put('summary.json', JSON.stringify({ suite, tests: [{ scenario: 'quick_validation' }] }, null, 2));
  put('environment.json', '{"tool":"vitest-llm-d"}\n');
  put('junit.xml', '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="latency"/></testsuites>\n');
  put('report.html', '<!doctype html><title>latency ✓</title>\n');
  put('stages.jsonl', '');
  put('benchmark-report/quick_validation.json', '{"version":"0.2.1"}\n');
  put('benchmark-report/latency_benchmark.stage-1.json', '{"version":"0.2.1","stage":1}\n');
  put('raw/trace.bin', randomBytes(70_000));
  return { dir, files };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = join(dir, rel);
    if (statSync(p).isFile()) out[rel.replaceAll('\\', '/')] = sha(readFileSync(p));
  }
  return out;
}

function readerClient(): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function listKeys(client: S3Client, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

/** A TCP server that accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: NetServer = createNetServer((s) => {
    sockets.add(s);
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  srv.listen(0, '127.0.0.1');
  await new Promise((resolve) => srv.once('listening', resolve));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

describe('parsePublishUrl', () => {
  test('bucket and prefix; slashes normalized', () => {
    expect(parsePublishUrl('s3://bench-results')).toEqual({ bucket: 'bench-results', prefix: '' });
    expect(parsePublishUrl('s3://bench-results/')).toEqual({ bucket: 'bench-results', prefix: '' });
    expect(parsePublishUrl('s3://bench-results/ci/nightly/')).toEqual({ bucket: 'bench-results', prefix: 'ci/nightly' });
    expect(parsePublishUrl(' S3://my.bucket-1//a//b ')).toEqual({ bucket: 'my.bucket-1', prefix: 'a/b' });
  });

  test.each([
    ['http://bench-results/x', /is not an s3:\/\/ URL/],
    ['bench-results/x', /is not an s3:\/\/ URL/],
    ['s3:/bench-results', /is not an s3:\/\/ URL/],
    ['s3://', /names no bucket/],
    ['s3:///prefix', /names no bucket/],
    ['s3://Bad_Bucket/x', /not a valid bucket name/],
    ['s3://ab', /not a valid bucket name/],
    ['s3://bench-results/x?versionId=1', /query or fragment/],
  ])('%s is one ConfigError naming BENCH_PUBLISH', (text, reason) => {
    let err: unknown;
    try {
      parsePublishUrl(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const c = err as ConfigError;
    expect(c.source).toBe('env');
    expect(c.path).toBe('BENCH_PUBLISH');
    expect(c.message).toMatch(/^env: BENCH_PUBLISH: /);
    expect(c.message).toMatch(reason);
    expect(c.message).toContain('s3://<bucket>[/<prefix>]');
    expect(c.message).not.toContain('\n');
  });
});

describe('publishSettings', () => {
  test('null when BENCH_PUBLISH is unset or empty', () => {
    expect(publishSettings({})).toBeNull();
    expect(publishSettings({ BENCH_PUBLISH: '  ' })).toBeNull();
  });

  test('AWS S3: virtual-hosted style, SDK checksums, default region and timeout, default credential chain', () => {
    const s = publishSettings({ BENCH_PUBLISH: 's3://bench-results/p', AWS_PROFILE: 'ci' })!;
    expect(s).toMatchObject({
      bucket: 'bench-results',
      prefix: 'p',
      endpoint: null,
      region: 'us-east-1',
      forcePathStyle: false,
      timeoutMs: 30_000,
      credentials: null,
      profile: 'ci',
      checksums: 'WHEN_SUPPORTED',
    });
    expect(publishSettings({ BENCH_PUBLISH: 's3://bench-results', AWS_DEFAULT_REGION: 'eu-west-1' })!.region).toBe('eu-west-1');
    expect(publishSettings({ BENCH_PUBLISH: 's3://bench-results', AWS_REGION: 'eu-north-1', AWS_DEFAULT_REGION: 'eu-west-1' })!.region).toBe('eu-north-1');
  });

  test('custom endpoint: path style unless BENCH_PUBLISH_PATH_STYLE=false; AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL', () => {
    const base = { BENCH_PUBLISH: 's3://bench-results', AWS_ENDPOINT_URL: 'http://minio:9000' };
    expect(publishSettings(base)).toMatchObject({ endpoint: 'http://minio:9000', forcePathStyle: true, checksums: 'WHEN_REQUIRED' });
    expect(publishSettings({ ...base, BENCH_PUBLISH_PATH_STYLE: 'false' })!.forcePathStyle).toBe(false);
    expect(publishSettings({ BENCH_PUBLISH: 's3://bench-results', BENCH_PUBLISH_PATH_STYLE: 'true' })!.forcePathStyle).toBe(true);
    expect(publishSettings({ ...base, AWS_ENDPOINT_URL_S3: 'https://s3.example.test' })!.endpoint).toBe('https://s3.example.test');
    expect(publishSettings({ ...base, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_supported' })!.checksums).toBe('WHEN_SUPPORTED');
    expect(publishSettings({ ...base, AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' })!.credentials).toEqual({
      accessKeyId: 'k',
      secretAccessKey: 's',
      sessionToken: 't',
    });
  });

  test('malformed variables are one ConfigError naming the variable', () => {
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ BENCH_PUBLISH: 'gs://bench-results' }, 'BENCH_PUBLISH'],
      [{ BENCH_PUBLISH: 's3://bench-results', BENCH_PUBLISH_PATH_STYLE: 'maybe' }, 'BENCH_PUBLISH_PATH_STYLE'],
      [{ BENCH_PUBLISH: 's3://bench-results', BENCH_PUBLISH_TIMEOUT_S: '0' }, 'BENCH_PUBLISH_TIMEOUT_S'],
      [{ BENCH_PUBLISH: 's3://bench-results', BENCH_PUBLISH_TIMEOUT_S: 'soon' }, 'BENCH_PUBLISH_TIMEOUT_S'],
      [{ BENCH_PUBLISH: 's3://bench-results', AWS_ENDPOINT_URL_S3: 'minio:9000' }, 'AWS_ENDPOINT_URL_S3'],
      [{ BENCH_PUBLISH: 's3://bench-results', AWS_ENDPOINT_URL: 'ftp://minio' }, 'AWS_ENDPOINT_URL'],
    ];
    for (const [env, key] of cases) {
      expect(() => publishSettings(env), key).toThrow(ConfigError);
      expect(() => publishSettings(env)).toThrow(new RegExp(`^env: ${key}: `));
    }
    expect(publishSettings({ BENCH_PUBLISH: 's3://bench-results', BENCH_PUBLISH_TIMEOUT_S: '0.5' })!.timeoutMs).toBe(500);
  });

  test('content types', () => {
    expect(contentTypeOf('summary.json')).toBe('application/json');
    expect(contentTypeOf('requests.jsonl')).toBe('application/x-ndjson');
    expect(contentTypeOf('junit.xml')).toBe('application/xml');
    expect(contentTypeOf('report.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('raw/trace.bin')).toBe('application/octet-stream');
  });
});

describe('publishRunFolder against a loopback S3 server (s3rver)', () => {
  test('uploads the whole tree under <prefix>/<folder>/, byte for byte, with content types', async () => {
    const { dir, files } = makeRunFolder('latency');
    expect(files.get('requests.jsonl')!.length).toBeGreaterThan(5_000_000);
    const before = snapshot(dir);
    const folder = `${STAMP}-latency`;

    const result = await publishRunFolder(dir, settingsFor());
    const total = [...files.values()].reduce((n, b) => n + b.length, 0);
    expect(result).toEqual({ url: `s3://${BUCKET}/ci/nightly/${folder}/`, files: files.size, bytes: total });

    const client = readerClient();
    try {
      const keys = await listKeys(client, 'ci/nightly/');
      expect(keys).toEqual([...files.keys()].map((rel) => `ci/nightly/${folder}/${rel}`).sort());
      for (const [rel, body] of files) {
        const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `ci/nightly/${folder}/${rel}` }));
        const bytes = Buffer.from(await got.Body!.transformToByteArray());
        expect(bytes.length, rel).toBe(body.length);
        expect(sha(bytes), rel).toBe(sha(body));
        expect(got.ContentType, rel).toBe(contentTypeOf(rel));
      }
    } finally {
      client.destroy();
    }
    expect(snapshot(dir)).toEqual(before);
  });

  test('no prefix: keys start with the folder', async () => {
    const { dir, files } = makeRunFolder('throughput');
    const result = await publishRunFolder(dir, settingsFor({ BENCH_PUBLISH: `s3://${BUCKET}` }), { concurrency: 2 });
    expect(result.url).toBe(`s3://${BUCKET}/${STAMP}-throughput/`);
    const client = readerClient();
    try {
      expect(await listKeys(client, `${STAMP}-throughput/`)).toEqual([...files.keys()].map((rel) => `${STAMP}-throughput/${rel}`).sort());
    } finally {
      client.destroy();
    }
  });

  test('a missing bucket is one line naming the bucket; the local folder is intact', async () => {
    const { dir } = makeRunFolder('latency');
    const before = snapshot(dir);
    const err = await publishRunFolder(dir, settingsFor({ BENCH_PUBLISH: 's3://no-such-bucket/p' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(`cannot publish ${dir} to s3://no-such-bucket/p/${STAMP}-latency/: NoSuchBucket: The specified bucket does not exist`);
    expect(message).toMatch(/the run folder is kept locally\)$/);
    expect((err as Error).stack).toBe(`PublishError: ${message}`);
    expect(snapshot(dir)).toEqual(before);
  });

  test('a closed port fails fast with the connection error', async () => {
    const { dir } = makeRunFolder('latency');
    const port = await closedPort();
    const t0 = Date.now();
    const err = await publishRunFolder(dir, settingsFor({ AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, BENCH_PUBLISH_TIMEOUT_S: '2' }), {
      retryDelayMs: 100,
    }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((err as Error).message).toMatch(/: .*ECONNREFUSED.* \(uploading .+, 0 of 9 files uploaded before; the run folder is kept locally\)$/);
    expect((err as Error).message).not.toContain('\n');
  });

  test('a server that never answers fails within the timeout (limited retries), not a hang', async () => {
    const { dir } = makeRunFolder('latency');
    const silent = await silentServer();
    try {
      const t0 = Date.now();
      const err = await publishRunFolder(
        dir,
        settingsFor({ AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${silent.port}`, BENCH_PUBLISH_TIMEOUT_S: '0.5' }),
        { retryDelayMs: 100 },
      ).catch((e: unknown) => e);
      const elapsed = Date.now() - t0;
      // 3 attempts of 0.5 s plus 0.1 + 0.2 s between them.
      expect(elapsed).toBeGreaterThanOrEqual(1_400);
      expect(elapsed).toBeLessThan(8_000);
      expect((err as Error).message).toContain('TimeoutError: no connection or no progress within 0.5 s (BENCH_PUBLISH_TIMEOUT_S)');
      expect((err as Error).message).toContain('the run folder is kept locally');
    } finally {
      await silent.close();
    }
  });
});

describe('credentials never appear in messages', () => {
  const PLANTED_SECRET = 'plantedSecretKey/ABCdef0123456789+xyz';
  const PLANTED_TOKEN = 'plantedSessionTokenQWERTY0123456789';
  const PLANTED_KEY_ID = 'AKIAPLANTEDKEYID0001';

  function captureConsole(): string[] {
    const seen: string[] = [];
    for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        seen.push(args.map(String).join(' '));
      });
    }
    return seen;
  }

  function expectClean(text: string): void {
    expect(text).not.toContain(PLANTED_SECRET);
    expect(text).not.toContain(PLANTED_TOKEN);
    expect(text).not.toContain(PLANTED_KEY_ID);
    expect(text).not.toMatch(/Signature=[0-9a-f]{8}/);
  }

  test('unknown keys (InvalidAccessKeyId from s3rver)', async () => {
    const seen = captureConsole();
    const { dir } = makeRunFolder('latency');
    const lines: string[] = [];
    const env = envFor({ AWS_ACCESS_KEY_ID: PLANTED_KEY_ID, AWS_SECRET_ACCESS_KEY: PLANTED_SECRET, AWS_SESSION_TOKEN: PLANTED_TOKEN });
    await publishSuites([dir], env, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vitest-llm-d: cannot publish .* to s3:\/\/bench-results\/ci\/nightly\/.*: InvalidAccessKeyId: /);
    for (const l of [...lines, ...seen]) expectClean(l);
  });

  test('a server that echoes the request and the keys back in its error', async () => {
    const seen = captureConsole();
    const echo: HttpServer = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
        const detail = `Authorization: ${req.headers.authorization}; X-Amz-Security-Token=${req.headers['x-amz-security-token']}; secret ${PLANTED_SECRET}; key ${PLANTED_KEY_ID}`;
        res.writeHead(400, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>${escape(detail)}</Message><RequestId>1</RequestId></Error>`);
      });
    });
    echo.listen(0, '127.0.0.1');
    await new Promise((resolve) => echo.once('listening', resolve));
    try {
      const { dir } = makeRunFolder('latency');
      const env = envFor({
        AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(echo.address() as AddressInfo).port}`,
        AWS_ACCESS_KEY_ID: PLANTED_KEY_ID,
        AWS_SECRET_ACCESS_KEY: PLANTED_SECRET,
        AWS_SESSION_TOKEN: PLANTED_TOKEN,
      });
      const err = await publishRunFolder(dir, publishSettings(env)!).catch((e: unknown) => e);
      const message = (err as Error).message;
      expect(message).toContain('InvalidArgument: Authorization: AWS4-HMAC-SHA256 Credential=<redacted>');
      expect(message).toContain('secret <redacted>');
      expectClean(message);
      expectClean(String((err as Error).stack));
      expect((err as Error).cause).toBeUndefined();

      const lines: string[] = [];
      await publishSuites([dir], env, (l) => lines.push(l));
      expect(lines).toHaveLength(1);
      for (const l of [...lines, ...seen]) expectClean(l);
    } finally {
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });
});

describe('publishSuites (the PublishReporter core)', () => {
  test('publishes each existing folder and prints where it went; skips missing folders', async () => {
    const root = join(tmp, 'results-suites');
    const a = makeRunFolder('latency', root);
    const b = makeRunFolder('prefix-cache', root);
    const missing = runDirOf({ stamp: STAMP, resultsDir: root }, 'never-ran');
    const lines: string[] = [];
    await publishSuites([a.dir, missing, b.dir], envFor({ BENCH_PUBLISH: `s3://${BUCKET}/suites/` }), (l) => lines.push(l));
    const mb = (files: Map<string, Buffer>): string => `${([...files.values()].reduce((n, x) => n + x.length, 0) / 1e6).toFixed(1)} MB`;
    expect(lines).toEqual([
      `published: s3://${BUCKET}/suites/${STAMP}-latency/ (9 files, ${mb(a.files)})`,
      `published: s3://${BUCKET}/suites/${STAMP}-prefix-cache/ (9 files, ${mb(b.files)})`,
    ]);
    const client = readerClient();
    try {
      expect(await listKeys(client, `suites/${STAMP}-prefix-cache/`)).toHaveLength(9);
      expect(await listKeys(client, `suites/${STAMP}-never-ran/`)).toHaveLength(0);
    } finally {
      client.destroy();
    }
  });

  test('BENCH_PUBLISH unset: nothing happens', async () => {
    const { dir } = makeRunFolder('latency');
    const lines: string[] = [];
    await publishSuites([dir], envFor({ BENCH_PUBLISH: '' }), (l) => lines.push(l));
    expect(lines).toEqual([]);
  });

  test('a bad BENCH_PUBLISH is one line naming the variable, not a throw', async () => {
    const { dir } = makeRunFolder('latency');
    const lines: string[] = [];
    await publishSuites([dir], envFor({ BENCH_PUBLISH: 'bench-results/p' }), (l) => lines.push(l));
    expect(lines).toEqual([
      'vitest-llm-d: env: BENCH_PUBLISH: "bench-results/p" is not an s3:// URL (expected s3://<bucket>[/<prefix>]) (the run folders are kept locally)',
    ]);
  });

  test('one failing folder does not stop the next', async () => {
    const root = join(tmp, 'results-partial');
    const ok = makeRunFolder('latency', root);
    const lines: string[] = [];
    const unreadable = join(root, 'not-a-folder');
    writeFileSync(unreadable, 'x');
    await publishSuites([unreadable, ok.dir], envFor({ BENCH_PUBLISH: `s3://${BUCKET}/partial` }), (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^published: /);
    const failing = await new Promise<string[]>((resolve) => {
      const out: string[] = [];
      void publishSuites([ok.dir, ok.dir], envFor({ BENCH_PUBLISH: 's3://no-such-bucket' }), (l) => out.push(l)).then(() => resolve(out));
    });
    expect(failing).toHaveLength(2);
    for (const l of failing) expect(l).toMatch(/^vitest-llm-d: cannot publish .*: NoSuchBucket: /);
  });

  test('PublishReporter: an empty run publishes nothing and never throws', async () => {
    const reporter = new PublishReporter({ stamp: STAMP, resultsDir: join(tmp, 'results-empty') }, envFor());
    const seen: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      seen.push(args.map(String).join(' '));
    });
    await expect(reporter.onTestRunEnd([])).resolves.toBeUndefined();
    expect(seen).toEqual([]);
  });
});
