import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import type { CliIo } from '../../../cli/command.ts';
import { postJson } from './sim-client.ts';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  return io;
}

describe('vitest-llm-d main()', () => {
  it('lists the commands, and rejects an unknown one with exit code 2', async () => {
    const help = capture();
    expect(await main([], help)).toBe(0);
    expect(help.stdout).toMatch(/^ {2}sim {2,}run the embedded vLLM-compatible simulator/m);
    const bad = capture();
    expect(await main(['simulate'], bad)).toBe(2);
    expect(bad.stderr).toBe('vitest-llm-d: unknown command "simulate"; commands: sim, cluster-sim, provision, check, rerun, compare, launch, pod-run, pod-export, help\n');
  });

  it('sim --help prints every option; a bad flag is one line and exit code 2', async () => {
    const help = capture();
    expect(await main(['sim', '--help'], help)).toBe(0);
    expect(help.stdout).toContain('--itl-ms <number>');
    expect(help.stdout).toContain('--faults.stall-after-tokens <number>');
    const bad = capture();
    expect(await main(['sim', '--itl-ms', 'abc'], bad)).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('sim: --itl-ms: expected a non-negative number, got "abc"');
  });
});

describe('bin/vitest-llm-d.js sim', () => {
  it('runs in the foreground, says it is a SIMULATOR, serves, and stops on SIGTERM', async () => {
    const bin = fileURLToPath(new URL('../../../bin/vitest-llm-d.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'sim', '--port', '0', '--tokenizer', 'words', '--itl-ms', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(line).toMatch(/SIMULATOR \(not a real vLLM\) listening on http:\/\/127\.0\.0\.1:\d+ - model Qwen\/Qwen3-0\.6B, profile small-h100/);
    const url = /listening on (\S+)/.exec(line)![1]!;
    const body = await postJson(`${url}/v1/completions`, { prompt: 'a', max_tokens: 3 });
    expect(body.usage.completion_tokens).toBe(3);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopped (SIGTERM)');
  });
});
