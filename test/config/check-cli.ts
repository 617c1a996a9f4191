import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckedFile } from '../../lib/scenario/check-config.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/vitest-llm-d.js', import.meta.url));

/** Runs `node bin/vitest-llm-d.js check <args>` in `cwd` (default the repository) with only `env` set besides PATH and HOME (no BENCH_* of the caller). */
export function checkCli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'check', ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The files of `check --json`'s output, by name. */
export function checkedFiles(stdout: string): Record<string, CheckedFile> {
  const doc = JSON.parse(stdout) as { valid: boolean; files: CheckedFile[] };
  return Object.fromEntries(doc.files.map((f) => [f.file, f]));
}
