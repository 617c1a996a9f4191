import { describe, expect, test } from 'vitest';
import { addSecrets, envSecrets, headerSecrets, knownSecrets, scrub, scrubValue, urlSecrets } from '../../lib/config/secrets.ts';
import { displayValue, escapeControl, serverText, showText } from '../../lib/http/server-text.ts';

describe('the run secrets registry', () => {
  test('key-bearing headers are secrets by name, wherever their value came from; the credential after a scheme too', () => {
    expect(
      headerSecrets({
        Authorization: 'Bearer tok-abc-123',
        'X-Api-Key': 'literal-key-1',
        'X-Team-Token': 'team-2',
        'Proxy-Authorization': 'Basic dXNlcjpwYXNz',
        'X-Request-Source': 'bench',
        'content-type': 'application/json',
      }),
    ).toEqual(['Bearer tok-abc-123', 'tok-abc-123', 'literal-key-1', 'team-2', 'Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz']);
  });

  test('URL credentials: the password (raw and decoded), or a bare token; in lists of URLs too', () => {
    expect(urlSecrets('https://user:p%40ss-word@host/v1')).toEqual(['p%40ss-word', 'p@ss-word']);
    expect(urlSecrets('http://a:1/metrics, https://ghp_token1234@b:2/metrics')).toEqual(['ghp_token1234']);
    expect(urlSecrets('http://127.0.0.1:8000')).toEqual([]);
  });

  test('environment: secret-looking names with credential-like values, and URL passwords in any variable', () => {
    expect(envSecrets({ HF_TOKEN: 'hf_abcdefgh123', AUTH_MODE: 'none', API_KEY_FILE: '/run/key', BENCH_BASE_URL: 'https://u:pw-12345@h', PATH: '/usr/bin' })).toEqual([
      'hf_abcdefgh123',
      'pw-12345',
    ]);
  });

  test('scrub replaces every registered secret and any URL credentials; scrubValue walks JSON-like values', () => {
    addSecrets('reg-secret-77', 'ab', '123456', null, undefined);
    expect(knownSecrets()).toContain('reg-secret-77');
    expect(knownSecrets()).not.toContain('ab');
    // A plain number is no credential, and replacing it would break the numbers of a JSON file.
    expect(knownSecrets()).not.toContain('123456');
    expect(scrub('key reg-secret-77 at http://x:y@host:1/p and https://tok@h')).toBe('key *** at http://***@host:1/p and https://***@h');
    expect(scrub('extra-secret-1', ['extra-secret-1'])).toBe('***');
    // Inside a JSON file a secret with a quote or a backslash reads escaped: found there too.
    addSecrets('pa"ss\\word');
    expect(scrub(JSON.stringify({ k: 'x pa"ss\\word y' }))).toBe('{"k":"x *** y"}');
    expect(scrubValue({ 'x-server': 'pod reg-secret-77', list: ['reg-secret-77'], n: 3, ok: true, none: null })).toEqual({
      'x-server': 'pod ***',
      list: ['***'],
      n: 3,
      ok: true,
      none: null,
    });
  });
});

describe('server text shown in the terminal', () => {
  const evil = 'm\x1b[2J\x1b]0;title\x07\u202e\x9b';

  test('control characters are shown escaped, never dropped', () => {
    expect(escapeControl(evil)).toBe('m\\x1b[2J\\x1b]0;title\\x07\\u202e\\x9b');
    expect(escapeControl('two\nlines\tkept')).toBe('two\nlines\tkept');
    expect(showText('one\nline\t!')).toBe('one\\x0aline\\x09!');
  });

  test('serverText: one line, clipped, scrubbed (the key passed and every registered secret), escaped', () => {
    addSecrets('registered-srv-1');
    expect(serverText(`bad key sk-passed-9 registered-srv-1\n${evil}`, 200, 'sk-passed-9')).toBe('bad key *** *** m\\x1b[2J\\x1b]0;title\\x07\\u202e\\x9b');
    expect(serverText('x'.repeat(50), 10)).toBe(`${'x'.repeat(10)}…`);
  });

  test('displayValue: every string of a report, keys included', () => {
    addSecrets('display-secret-5');
    expect(displayValue({ model: evil, notes: ['display-secret-5\nnext'] })).toEqual({ model: 'm\\x1b[2J\\x1b]0;title\\x07\\u202e\\x9b', notes: ['***\nnext'] });
  });
});
