import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

/** A temporary directory per test, removed after it; `write` creates files in it. */
export interface TempDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** Writes `text` to `name` (relative, parent folders created) and returns the absolute path. */
  write(name: string, text: string): string;
}

const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Makes a temporary directory that is removed after the current test. */
export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'config-test-'));
  made.push(path);
  return {
    path,
    write(name, text) {
      const file = join(path, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
  };
}
