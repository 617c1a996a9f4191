import { describe, expect, test } from 'vitest';
import { closestName, didYouMean, editDistance } from '../../lib/config/closest-name.ts';
import { isSecretName, redactText, redactValue } from '../../lib/config/redact.ts';

describe('redaction', () => {
  test('secret-looking variable names', () => {
    for (const name of ['OPENAI_API_KEY', 'API_TOKEN', 'client_secret', 'DB_PASSWORD', 'GCP_CREDENTIALS', 'AUTH_HEADER']) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ['MODEL', 'BENCH_BASE_URL', 'HOST', 'PORT']) expect(isSecretName(name), name).toBe(false);
  });

  test('every occurrence is replaced, longer secrets first so a contained one cannot leave a tail', () => {
    expect(redactText('a=abcd1234 b=abcd1234xyz c=abcd1234', ['abcd1234', 'abcd1234xyz'])).toBe('a=*** b=*** c=***');
  });

  test('secrets shorter than 4 characters are left alone rather than garbling the text', () => {
    expect(redactText('a cat sat', ['a', 'at'])).toBe('a cat sat');
  });

  test('redactValue copies a config with secrets removed from keys and values, other values kept', () => {
    const config = { headers: { Authorization: 'Bearer tok-12345' }, list: ['tok-12345', 3], n: 1, ok: true, none: null };
    expect(redactValue(config, ['tok-12345'])).toEqual({
      headers: { Authorization: 'Bearer ***' },
      list: ['***', 3],
      n: 1,
      ok: true,
      none: null,
    });
    expect(config.headers.Authorization).toBe('Bearer tok-12345');
  });
});

describe('did you mean', () => {
  test('edit distance counts a swap of neighbours as one edit', () => {
    expect(editDistance('base_url', 'base_url')).toBe(0);
    expect(editDistance('base_ur', 'base_url')).toBe(1);
    expect(editDistance('bsae_url', 'base_url')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  test('suggests the closest name within a third of its length, ignoring case', () => {
    expect(closestName('Base_URL', ['model', 'base_url'])).toBe('base_url');
    expect(closestName('concurency', ['concurrency', 'constant'])).toBe('concurrency');
    expect(closestName('xyz', ['base_url', 'model'])).toBeUndefined();
    expect(didYouMean('chatt', ['completions', 'chat'])).toBe(' (did you mean "chat"?)');
    expect(didYouMean('zzz', ['completions', 'chat'])).toBe('');
  });
});
