import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnSimulator } from '../spawn.ts';
import { until } from './sim-client.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('spawnSimulator', () => {
  it('starts a child that serves, and stop() ends it', async () => {
    const sim = await spawnSimulator({ tokenizer: 'words', models: ['a', 'b'] });
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.models).toEqual(['a', 'b']);
    expect(sim.pid).not.toBe(process.pid);
    expect(sim.options.itl_ms).toBe(4);
    expect(sim.startupMs).toBeGreaterThan(0);
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
    expect(alive(sim.pid)).toBe(true);
    await sim.stop();
    expect(alive(sim.pid)).toBe(false);
    await sim.stop();
  });

  it('rejects invalid options before spawning, with the one-line option error', async () => {
    await expect(spawnSimulator({ itl_ms: -1 })).rejects.toThrow('sim options: itl_ms: expected a non-negative number, got -1');
    await expect(spawnSimulator({ itl: 3 } as never)).rejects.toThrow('sim options: itl: unknown key (did you mean itl_ms?)');
  });

  it("rejects with the child's stderr when it cannot start", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(spawnSimulator({ tokenizer: 'words', port })).rejects.toThrow(/^embedded simulator failed to start: child exited \(code 1\) before listening: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('exits when its parent dies without stopping it', async () => {
    const script = fileURLToPath(new URL('./fixtures/orphan-parent.ts', import.meta.url));
    const parent = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await until(() => !alive(pid), 5000, 20);
  });
});
