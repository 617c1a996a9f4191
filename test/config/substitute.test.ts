import { parseDocument } from 'yaml';
import { describe, expect, test } from 'vitest';
import { loadConfigFile } from '../../lib/config/load-file.ts';
import { TargetsFileSchema } from '../../lib/config/schema/targets-file.ts';
import { substituteDocument, substituteDocumentCollect, substituteString, substituteText } from '../../lib/config/substitute.ts';
import { configErrorOf } from './config-error-of.ts';
import { tempDir } from './temp-dir.ts';

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

  test('$VAR substitutes as ${VAR} does; the name is the longest run of letters, digits and _', () => {
    const env = { HOME: '/root', NAMESPACE: 'llm-d', A_1: 'x', A: 'no' };
    expect(substituteString('$HOME/llm-d-bench-work', env, site).value).toBe('/root/llm-d-bench-work');
    expect(substituteString('http://gw.$NAMESPACE.svc:80', env, site).value).toBe('http://gw.llm-d.svc:80');
    expect(substituteString('$A_1-$A.${A_1}', env, site).value).toBe('x-no.x');
    expect(substituteString('$NAMESPACE', env, site).references).toBe(1);
  });

  test('a $ not followed by a name or { stays as written, as with envsubst', () => {
    const text = 'costs $5, $(POD_IP), a $ sign, $-x, $.y and a trailing $';
    expect(substituteString(text, {}, site)).toMatchObject({ value: text, references: 0 });
  });

  test('a doubled $ before a reference makes it literal; other $$ stay', () => {
    const env = { HOME: '/root' };
    expect(substituteString('$$HOME and $${HOME}', env, site).value).toBe('$HOME and ${HOME}');
    expect(substituteString('$$ and $$5', env, site).value).toBe('$$ and $$5');
    expect(substituteString('$$$HOME', env, site).value).toBe('$$HOME');
  });

  test("braced syntax (Kubernetes manifests) leaves $VAR to the container's shell", () => {
    const text = 'cd $HOME && exec vllm serve ${MODEL} $$HOME $${X}';
    expect(substituteText(text, { HOME: '/root', MODEL: 'm' }, 'braced')).toMatchObject({ value: 'cd $HOME && exec vllm serve m $$HOME ${X}', unset: [] });
  });

  test('collects every unset variable and malformed reference of a string, keeping them as written', () => {
    const out = substituteText('$A-${B}-${A}-${1X}-$C-${D:-d}', { C: 'c' });
    expect(out).toMatchObject({ value: '$A-${B}-${A}-${1X}-c-d', references: 2, unset: ['A', 'B'] });
    expect(out.malformed).toEqual(['invalid variable reference "${1X}": expected ${NAME} or ${NAME:-default}']);
    expect(() => substituteString('$A ${B}', {}, site)).toThrow(
      'targets.yaml: targets[0].headers.Authorization: environment variable A is not set; environment variable B is not set',
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
    expect(substituteString('Bearer $API_TOKEN', env, site).secrets).toEqual(['tok-123456']);
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

describe('every problem of a document at once', () => {
  const yaml = [
    'targets:',
    '  - name: a',
    '    base_url: http://${HOST}:$PORT',
    '    model: $MODEL',
    '    headers: { Authorization: "Bearer ${API_TOKEN}", X-Trace: "${TRACE" }',
  ].join('\n');

  test('substituteDocument throws one ConfigError naming every unset variable and malformed reference with its path', () => {
    const message = configErrorOf(() => substituteDocument(parseDocument(yaml), { PORT: '8000', API_TOKEN: 'tok-SECRET-1234' }, 'targets.yaml'));
    expect(message).toBe(
      [
        'targets.yaml: 3 problems with environment variables:',
        '  targets[0].base_url: environment variable HOST is not set',
        '  targets[0].model: environment variable MODEL is not set',
        '  targets[0].headers.X-Trace: unterminated "${" (write "$${" for a literal "${")',
      ].join('\n'),
    );
    expect(message).not.toContain('tok-SECRET-1234');
  });

  test('a targets file lists every unset variable in one error', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets:\n  - name: a\n    base_url: $URL\n    model: ${MODEL}\n  - name: b\n    base_url: ${URL_B}\n');
    expect(configErrorOf(() => loadConfigFile('targets.yaml', TargetsFileSchema, { env: {}, cwd: dir.path }))).toBe(
      [
        'targets.yaml: 3 problems with environment variables:',
        '  targets[0].base_url: environment variable URL is not set',
        '  targets[0].model: environment variable MODEL is not set',
        '  targets[1].base_url: environment variable URL_B is not set',
      ].join('\n'),
    );
  });

  test('unsetAllowed keeps a value whose every use allows it, with its unset references as written', () => {
    const doc = parseDocument('ns: &ns ${NS}\nother: *ns\nurl: http://$GW.${NS}:$PORT\n');
    const out = substituteDocumentCollect(doc, { PORT: '80' }, { unsetAllowed: (p) => `${String(p[0])} is unused` });
    expect(out.problems).toEqual([]);
    expect(out.kept).toEqual([
      { path: ['ns'], value: '${NS}', unset: ['NS'], reason: 'ns is unused' },
      { path: ['other'], value: '${NS}', unset: ['NS'], reason: 'other is unused' },
      { path: ['url'], value: 'http://$GW.${NS}:80', unset: ['GW', 'NS'], reason: 'url is unused' },
    ]);
    expect(doc.toJS()).toEqual({ ns: '${NS}', other: '${NS}', url: 'http://$GW.${NS}:80' });
  });

  test('an anchored value used through an alias where it matters is required, and the problem says where', () => {
    const doc = parseDocument('ignored: &m ${MODEL}\nbase: &b { x: $X }\nmodel: *m\nmerged: { <<: *b, y: 1 }\n', { merge: true });
    const out = substituteDocumentCollect(doc, {}, { unsetAllowed: (p) => (p[0] === 'ignored' || p[0] === 'base' ? 'unused' : undefined) });
    expect(out.problems).toEqual([
      { path: ['ignored'], reason: 'environment variable MODEL is not set (the value is used at model)', usedAt: [['ignored'], ['model']] },
      { path: ['base', 'x'], reason: 'environment variable X is not set (the value is used at merged.x)', usedAt: [['base', 'x'], ['merged', 'x']] },
    ]);
    expect(out.kept).toEqual([]);
  });
});
