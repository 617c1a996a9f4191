import { expect } from 'vitest';
import { ConfigError } from '../../lib/errors/config-error.ts';

/** The message of the `ConfigError` that `fn` throws; fails the test when it throws anything else or nothing. */
export function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
