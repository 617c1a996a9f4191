import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readTree, runSuites, workspace } from './run-suite.ts';

/** The API key, in a variable whose name does not look secret: it is a secret because it is the key. */
const API_KEY = 'plantedkey-7f3a9c1e5b';
/** A header value written literally in targets.yaml under a key-bearing header name. */
const HEADER_LITERAL = 'literal-hdr-2b8d4e6f';
/** A header value taken from a variable whose name does not look secret. */
const HEADER_FROM_VAR = 'fromvar-hdr-9c1a3e5d';
/** A value of a secret-looking variable the run never sends. */
const ENV_SECRET = 'hf_plantedtoken_5e7a9c';
/** A password in URL credentials (refused, but must not be written either). */
const URL_PASSWORD = 'urlpass-4d6f8a0c';
/** The first bytes of a file given as BENCH_BASELINE that is not a run. */
const BASELINE_BYTES = 'baselinebytes-1a3c5e7';

/** A model name that clears the screen and retitles the terminal window. */
const EVIL_MODEL = 'evil\x1b[2J\x1b]0;pwned-title\x07-model';
const EVIL_TEXT = 'boom\x1b[2J\x1b]0;error-title\x07\x1b[31mred';

/** Bytes that must never reach a file or the terminal raw: ESC, BEL (an OSC terminator). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw escape bytes.
const RAW_ESCAPES = /[\x07\x1b\x9b]/;

/**
 * A hostile server playing vLLM: it lists a model whose name carries ANSI and OSC escapes,
 * echoes every credential it receives in `x-upstream-server` (a header the tool records as
 * who served the request), and answers every other request with an error whose body quotes the
 * credentials and carries escapes too.
 */
function hostileServer(): Server {
  let n = 0;
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const echo = [req.headers.authorization, req.headers['x-api-key'], req.headers['x-team-token']].join(' ');
    if (req.method === 'GET' && req.url === '/health') return void res.end('ok');
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.setHeader('content-type', 'application/json');
      return void res.end(JSON.stringify({ object: 'list', data: [{ id: EVIL_MODEL, object: 'model' }] }));
    }
    if (req.method !== 'POST') {
      res.statusCode = 404;
      return void res.end(`not found; you sent ${echo} ${EVIL_TEXT}`);
    }
    req.resume();
    req.on('end', () => {
      n++;
      res.setHeader('x-upstream-server', `pod-1 ${echo}`);
      if (n % 2 === 0) {
        res.statusCode = 401;
        res.setHeader('content-type', 'application/json');
        return void res.end(JSON.stringify({ error: { message: `bad credentials ${echo} ${EVIL_TEXT}` } }));
      }
      res.setHeader('content-type', 'text/event-stream');
      const chunk = (text: string, finish: string | null): string =>
        `data: ${JSON.stringify({ id: 'x', object: 'text_completion', model: EVIL_MODEL, choices: [{ index: 0, text, finish_reason: finish }] })}\n\n`;
      res.end(`${chunk('hello', null)}${chunk(' world', null)}${chunk('!', `stop${EVIL_TEXT}`)}data: [DONE]\n\n`);
    });
  });
}

describe('a hostile server and secret-bearing settings: nothing secret and no raw escape reaches a file or the terminal', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = hostileServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const planted = [API_KEY, HEADER_LITERAL, HEADER_FROM_VAR, ENV_SECRET, URL_PASSWORD, BASELINE_BYTES];
  const leaks = (text: string): string[] => planted.filter((s) => text.includes(s));

  test('keys echoed in headers and error bodies, escapes in the model name and errors, a wrong BENCH_BASELINE', async () => {
    const dir = workspace(`
targets:
  - name: hostile
    base_url: http://127.0.0.1:${port}
    backend: vllm
    api: completions
    tokenizer: words
    api_key_env: MY_SERVICE_ID
    headers: { X-Api-Key: "${HEADER_LITERAL}", X-Team-Token: "\${TEAM_VALUE}" }
`);
    const notARun = join(dir, 'not-a-run.json');
    writeFileSync(notARun, `${BASELINE_BYTES} and more bytes of a file that is not JSON`);
    const run = await runSuites(['suites/smoke'], dir, {
      MY_SERVICE_ID: API_KEY,
      TEAM_VALUE: HEADER_FROM_VAR,
      HF_TOKEN: ENV_SECRET,
      BENCH_NUM_REQUESTS: '4',
      BENCH_BASELINE: notARun,
      BENCH_METRICS_SCRAPE: 'off',
    });
    const folder = run.runDirs.smoke;
    expect(folder, run.output).toBeDefined();
    const files = readTree(folder!);
    // The run did measure: served_by and the server's errors are in requests.jsonl, scrubbed.
    expect(files).toContain('x-upstream-server');
    expect(files).toContain('bad credentials');
    expect(leaks(files), 'secrets in the results folder').toEqual([]);
    expect(leaks(run.output), 'secrets in the terminal output').toEqual([]);
    expect(RAW_ESCAPES.test(files), 'raw escape bytes in the results folder').toBe(false);
    expect(RAW_ESCAPES.test(run.output), 'raw escape bytes in the terminal output').toBe(false);
    // Escapes are shown, not dropped; the wrong baseline is named, with what is wrong.
    expect(run.output).toContain('evil\\x1b[2J\\x1b]0;pwned-title\\x07-model');
    expect(run.output).toContain(`baseline ${notARun} not usable`);
  });

  test('credentials in refused BENCH_BASE_URL and BENCH_PROMETHEUS_URL are written nowhere', async () => {
    const dir = workspace();
    const run = await runSuites(['suites/smoke'], dir, {
      BENCH_TARGETS_FILE: '',
      BENCH_BASE_URL: `http://user:${URL_PASSWORD}@127.0.0.1:${port}`,
      BENCH_PROMETHEUS_URL: `http://user:${URL_PASSWORD}@127.0.0.1:9`,
    });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('credentials in the URL are not allowed');
    const folder = run.runDirs.smoke;
    expect(folder, run.output).toBeDefined();
    expect(leaks(readTree(folder!)), 'secrets in the results folder').toEqual([]);
    expect(leaks(run.output), 'secrets in the terminal output').toEqual([]);
  });

  test('BENCH_METRICS_URL with credentials is refused, and they are written nowhere', async () => {
    const dir = workspace(`
targets:
  - name: hostile
    base_url: http://127.0.0.1:${port}
    backend: vllm
    tokenizer: words
`);
    const run = await runSuites(['suites/smoke'], dir, { BENCH_METRICS_URL: `http://user:${URL_PASSWORD}@127.0.0.1:${port}/metrics` });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('BENCH_METRICS_URL: credentials in the URL are not allowed');
    const folder = run.runDirs.smoke;
    expect(folder, run.output).toBeDefined();
    expect(leaks(readTree(folder!)), 'secrets in the results folder').toEqual([]);
    expect(leaks(run.output), 'secrets in the terminal output').toEqual([]);
  });
});
