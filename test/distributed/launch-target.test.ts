import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveTarget } from '../../lib/config/resolve-target.ts';
import { selectLaunchTarget } from '../../lib/distributed/launch/target.ts';
import { openTarget } from '../../lib/scenario/open.ts';
import { spawnSimulator, type SimProcess } from '../../sim/vllm/spawn.ts';

const cwd = process.cwd();

describe('BENCH_SIMULATOR_URL: one embedded simulator shared by the pods of a launch', () => {
  let sim: SimProcess;
  beforeAll(async () => {
    sim = await spawnSimulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  test('the target is still the simulator, at the shared URL, and closing it leaves the server running', async () => {
    const sel = resolveTarget({ cwd, env: { BENCH_SIMULATOR_URL: sim.url } });
    expect(sel).toMatchObject({ kind: 'simulator', url: sim.url });
    const target = await openTarget(sel);
    expect(target.info.kind).toBe('simulator');
    expect(target.info.baseUrl.startsWith(sim.url)).toBe(true);
    expect(target.info.simulator).toMatchObject({ shared_url: sim.url });
    expect(target.info.origin).toContain('BENCH_SIMULATOR_URL');
    await target.close();
    const again = await openTarget(sel);
    expect((await again.probe('/health')).status).toBe(200);
    await again.close();
  });

  test('a bad URL is one config line', () => {
    expect(() => resolveTarget({ cwd, env: { BENCH_SIMULATOR_URL: 'ftp://x' } })).toThrow('env: BENCH_SIMULATOR_URL: expected an http:// or https:// URL, got a ftp: URL');
  });

  test('on a real cluster with no target: set BENCH_BASE_URL to the gateway', () => {
    expect(() => selectLaunchTarget({ cwd, env: {}, cluster: 'real' })).toThrow('set BENCH_BASE_URL to the in-cluster URL of the gateway');
    expect(selectLaunchTarget({ cwd, env: { BENCH_BASE_URL: 'http://gw.llm-d.svc:80' }, cluster: 'real' }).kind).toBe('endpoint');
    expect(selectLaunchTarget({ cwd, env: {}, cluster: 'simulator' }).kind).toBe('simulator');
  });
});
