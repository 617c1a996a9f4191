/**
 * The launch command as a user runs it: `vitest-llm-d launch ...` in a child process, as from a
 * shell (none of the test worker's own Vitest variables).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'vitest-llm-d.js');

export interface Launched {
  code: number | null;
  signal: NodeJS.Signals | null;
  err: string;
}

/** Runs `vitest-llm-d launch ...` in a child process; `onLine` sees each stderr line (and may signal the child). */
export function launch(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string, kill: (s: NodeJS.Signals) => void) => void, timeoutMs = 300_000): Promise<Launched> {
  // As from a shell: none of this test worker's own Vitest variables.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TEST$|NODE_ENV$)/.test(k)));
  const child = spawn(process.execPath, [BIN, 'launch', ...args], { cwd: process.cwd(), env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let partial = '';
  child.stdout.resume();
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    partial += c.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) onLine?.(l, (s) => child.kill(s));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.once('exit', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, err });
  }));
}

/** The run id the launch names in its first lines. */
export const runIdOf = (err: string): string => /run (\S+): \d+ pods/.exec(err)?.[1] ?? '';
