import { describe, expect, test } from 'vitest';
import { addSecrets, knownSecrets, scrub } from '../../lib/config/secrets.ts';
import { registerRunSecrets } from '../../lib/run-folder/run-secrets.ts';
import { ScrubErrorsReporter } from '../../reporters/scrub-errors-reporter.ts';
import { tempDir } from '../config/temp-dir.ts';

describe('the reporters process learns the run secrets from the same inputs as the workers', () => {
  test('targets file: the key (its variable not secret-looking), literal key-bearing headers, header values from any variable', () => {
    const dir = tempDir();
    dir.write(
      'targets.yaml',
      `targets:
  - name: gw
    base_url: http://127.0.0.1:9
    api_key_env: MY_SERVICE_ID
    headers: { X-Api-Key: "literal-hdr-1234", X-Team-Token: "\${TEAM_VALUE}", X-Trace: "not-a-secret-1" }
`,
    );
    registerRunSecrets({ MY_SERVICE_ID: 'service-key-5678', TEAM_VALUE: 'team-value-9012' }, dir.path);
    expect(knownSecrets()).toEqual(expect.arrayContaining(['service-key-5678', 'literal-hdr-1234', 'team-value-9012']));
    expect(knownSecrets()).not.toContain('not-a-secret-1');
    expect(scrub('echo service-key-5678 literal-hdr-1234 team-value-9012 not-a-secret-1')).toBe('echo *** *** *** not-a-secret-1');
  });

  test('a targets file the workers refuse registers nothing from it, and does not throw', () => {
    const dir = tempDir();
    dir.write('targets.yaml', 'targets: [ {');
    expect(() => registerRunSecrets({}, dir.path)).not.toThrow();
  });

  test("a failed test's error is scrubbed in place before Vitest prints it: message, stack, diff, expected, actual, causes", () => {
    addSecrets('err-secret-3456');
    const evil = 'm\x1b[2J\x1b]0;t\x07';
    const error = {
      message: `expected [ '${evil}' ] to include 'err-secret-3456'`,
      stack: `AssertionError: ${evil}\n    at x.ts:1:1`,
      diff: `- ${evil}\n+ err-secret-3456`,
      expected: 'err-secret-3456',
      actual: evil,
      cause: { message: `cause ${evil} err-secret-3456` },
    };
    const test = { result: () => ({ state: 'failed', errors: [error] }) };
    new ScrubErrorsReporter().onTestCaseResult(test as never);
    expect(error).toEqual({
      message: "expected [ 'm\\x1b[2J\\x1b]0;t\\x07' ] to include '***'",
      stack: 'AssertionError: m\\x1b[2J\\x1b]0;t\\x07\n    at x.ts:1:1',
      diff: '- m\\x1b[2J\\x1b]0;t\\x07\n+ ***',
      expected: '***',
      actual: 'm\\x1b[2J\\x1b]0;t\\x07',
      cause: { message: 'cause m\\x1b[2J\\x1b]0;t\\x07 ***' },
    });
  });
});
