import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The vitest entry point of the installation in `cwd` (the one `npx vitest` runs there), for the
 * commands that run suites in a child process (`rerun`, `pod-run`, the launch's merge); null when
 * vitest is not installed there.
 */
export function vitestBin(cwd: string): string | null {
  try {
    return join(dirname(createRequire(join(cwd, 'package.json')).resolve('vitest/package.json')), 'vitest.mjs');
  } catch {
    return null;
  }
}
