import { parseDocument } from 'yaml';
import { describe, expect, test } from 'vitest';
import { substituteDocument, substituteString } from '../../lib/config/substitute.ts';

const site = { source: 'targets.yaml', path: 'targets[0].headers.Authorization' };

describe('substituteString', () => {
  test('replaces ${VAR} with the variable', () => {
    expect(substituteString('http://${HOST}:8000', { HOST: 'gpu-1' }, site).value).toBe('http://gpu-1:8000');
  });

  test('${VAR:-default} uses the default when the variable is unset or empty, the variable otherwise', () => {
    const text = '${PORT:-8000}';
    expect(substituteString(text, {}, site).value).toBe('8000');
    expect(substituteString(text, { PORT: '' }, site).value).toBe('8000');
    expect(substituteString(text, { PORT: '9000' }, site).value).toBe('9000');
  });

  test('a default may be empty or contain ":" and "-"', () => {
    expect(substituteString('a${X:-}b', {}, site).value).toBe('ab');
    expect(substituteString('${URL:-http://h:1/-x}', {}, site).value).toBe('http://h:1/-x');
  });

  test('$${ is a literal ${ and other dollars stay as written', () => {
    expect(substituteString('$${HOME} costs $5 and $$ too', { HOME: '/root' }, site).value).toBe(
      '${HOME} costs $5 and $$ too',
    );
  });

  test('several references in one string', () => {
    const out = substituteString('${A}-${B:-b}-${A}', { A: 'a' }, site);
    expect(out.value).toBe('a-b-a');
    expect(out.references).toBe(3);
  });

  test('a set but empty variable without default substitutes the empty string', () => {
    expect(substituteString('x${EMPTY}y', { EMPTY: '' }, site).value).toBe('xy');
  });

  test('an unset variable without default names the file, the path and the variable', () => {
    expect(() => substituteString('Bearer ${API_TOKEN}', {}, site)).toThrow(
      'targets.yaml: targets[0].headers.Authorization: environment variable API_TOKEN is not set',
    );
  });

  test('an unterminated reference is an error that shows the escape', () => {
    expect(() => substituteString('abc ${HOST', {}, site)).toThrow(
      'targets.yaml: targets[0].headers.Authorization: unterminated "${" (write "$${" for a literal "${")',
    );
  });

  test('a malformed reference is an error showing the accepted forms', () => {
    expect(() => substituteString('${1HOST}', {}, site)).toThrow(
      'targets.yaml: targets[0].headers.Authorization: invalid variable reference "${1HOST}": expected ${NAME} or ${NAME:-default}',
    );
    expect(() => substituteString('${HOST:default}', {}, site)).toThrow('invalid variable reference "${HOST:default}"');
  });

  test('reports values taken from secret-looking variables; not other variables, empty values or defaults', () => {
    const env = { API_TOKEN: 'tok-123456', MODEL: 'qwen', DB_PASSWORD: '', my_auth_header: 'hdr-7890' };
    const text = '${API_TOKEN} ${MODEL} ${DB_PASSWORD} ${MY_SECRET:-dflt-secret} ${my_auth_header:-x}';
    expect(substituteString(text, env, site).secrets).toEqual(['tok-123456', 'hdr-7890']);
  });
});

describe('substituteDocument', () => {
  const yaml = [
    'targets:',
    '  - name: a',
    '    base_url: ${URL}',
    '    max_tokens: ${MAX:-4096}',
    '    notes: "${MAX:-4096}"',
    '    model: ${MODEL}',
    '    ${KEY_NAME}: value',
    '    headers:',
    '      Authorization: Bearer ${API_TOKEN}',
  ].join('\n');

  test('substitutes string scalars in place and leaves map keys alone', () => {
    const doc = parseDocument(yaml);
    substituteDocument(doc, { URL: 'http://x', MODEL: 'm', API_TOKEN: 'abcd1234' }, 'targets.yaml');
    const target = (doc.toJS() as { targets: Array<Record<string, unknown>> }).targets[0];
    expect(target).toEqual({
      name: 'a',
      base_url: 'http://x',
      max_tokens: 4096,
      notes: '4096',
      model: 'm',
      '${KEY_NAME}': 'value',
      headers: { Authorization: 'Bearer abcd1234' },
    });
  });

  test('a plain scalar becomes a number or boolean as YAML would read it; a quoted one stays a string', () => {
    const doc = parseDocument('a: ${N}\nb: "${N}"\nc: ${B}\nd: ${S}\n');
    substituteDocument(doc, { N: '12.5', B: 'true', S: '[1, 2]' }, 'f.yaml');
    expect(doc.toJS()).toEqual({ a: 12.5, b: '12.5', c: true, d: '[1, 2]' });
  });

  test('a value with YAML syntax in it stays one string: substitution cannot change the structure', () => {
    const doc = parseDocument('model: ${MODEL}\nnext: 1\n');
    substituteDocument(doc, { MODEL: 'evil\nnext: 2\ninjected: [x]' }, 'f.yaml');
    expect(doc.toJS()).toEqual({ model: 'evil\nnext: 2\ninjected: [x]', next: 1 });
  });

  test('errors name the path of the scalar inside the file', () => {
    const doc = parseDocument(yaml);
    expect(() => substituteDocument(doc, { URL: 'http://x', MODEL: 'm' }, 'targets.yaml')).toThrow(
      'targets.yaml: targets[0].headers.Authorization: environment variable API_TOKEN is not set',
    );
  });

  test('returns the secret-looking substituted values, once each', () => {
    const doc = parseDocument('a: ${API_TOKEN}\nb: x-${API_TOKEN}\nc: ${MODEL}\n');
    const { secrets } = substituteDocument(doc, { API_TOKEN: 'tok-999999', MODEL: 'm' }, 'f.yaml');
    expect(secrets).toEqual(['tok-999999']);
  });

  test('an anchored value is substituted once and every alias sees the result', () => {
    const doc = parseDocument('base: &u ${URL}\nother: *u\n');
    substituteDocument(doc, { URL: 'http://h' }, 'f.yaml');
    expect(doc.toJS()).toEqual({ base: 'http://h', other: 'http://h' });
  });
});
