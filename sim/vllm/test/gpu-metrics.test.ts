import { afterEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { GPU_IDLE_POWER_W, utilizationPct } from '../gpu-metrics.ts';
import { SimOptionsSchema, type SimOptionsInput } from '../options.ts';
import { startSimServer, type SimServer } from '../server.ts';
import { parseProm, post, readEvents } from './sim-client.ts';

/*
 * The simulator's modeled DCGM GPU series on /metrics: labels as dcgm-exporter writes them,
 * utilisation and power rising with running sequences, framebuffer memory with KV-cache use and
 * dropping while asleep.
 */

const base = {
  tokenizer: 'words',
  profile: 'test-fast',
  itl_ms: 4,
  max_num_seqs: 4,
  block_size: 16,
  kv_cache_blocks: 200,
  kv_cache_memory_gib: 8,
  model_memory_gib: 1.25,
  residual_memory_gib: 0.5,
  gpu_memory_mib: 81559,
} as const satisfies SimOptionsInput;

const IDLE_MIB = (0.5 + 1.25) * 1024;

let sim: SimServer | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** The DCGM series of one scrape, by field name (there is one GPU per simulator). */
async function gpu(url: string): Promise<{ util: number; used: number; free: number; power: number; keys: string[] }> {
  const m = parseProm(await (await fetch(`${url}/metrics`)).text());
  const get = (field: string): number => {
    const hit = [...m].find(([k]) => k.startsWith(`DCGM_FI_DEV_${field}{`));
    if (!hit) throw new Error(`no DCGM_FI_DEV_${field}`);
    return hit[1];
  };
  return { util: get('GPU_UTIL'), used: get('FB_USED'), free: get('FB_FREE'), power: get('POWER_USAGE'), keys: [...m.keys()].filter((k) => k.startsWith('DCGM_')) };
}

describe('GPU series (DCGM)', () => {
  it('carry the dcgm-exporter labels; pod, namespace and container only with a namespace', async () => {
    sim = await startSimServer({ ...base, pod_name: 'vllm-a', node_name: 'gpu-node-3', gpu_index: 2, gpu_uuid: 'GPU-11111111-2222-3333-4444-555555555555' });
    const text = await (await fetch(`${sim.url}/metrics`)).text();
    expect(text).toContain('# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n');
    expect(text).toContain('# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).\n');
    expect(text).toContain(
      'DCGM_FI_DEV_POWER_USAGE{gpu="2",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia2",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-node-3"} 70.0\n',
    );
    await sim.close();
    sim = await startSimServer({ ...base, pod_name: 'vllm-b', namespace: 'bench' });
    const keys = (await gpu(sim.url)).keys;
    expect(keys).toHaveLength(4);
    for (const k of keys) {
      expect(k).toMatch(/UUID="GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"/);
      expect(k).toContain(`Hostname="${hostname()}"`);
      expect(k).toContain(',container="vllm",namespace="bench",pod="vllm-b"}');
    }
  });

  it('rise with running sequences and KV-cache use, and fall back when idle', async () => {
    sim = await startSimServer(base);
    const idle = await gpu(sim.url);
    expect(idle).toMatchObject({ util: 0, used: Math.round(IDLE_MIB), free: 81559 - Math.round(IDLE_MIB), power: GPU_IDLE_POWER_W });
    // Four sequences of 100 prompt + 250 output tokens: a full batch for about a second.
    const prompt = Array.from({ length: 100 }, (_, i) => `g${i}`).join(' ');
    const streams = await Promise.all(Array.from({ length: 4 }, (_, i) => post(`${sim!.url}/v1/completions`, { prompt: `${i} ${prompt}`, max_tokens: 250, stream: true })));
    await new Promise((r) => setTimeout(r, 300));
    const busy = await gpu(sim.url);
    expect(busy.util).toBeGreaterThanOrEqual(80);
    expect(busy.util).toBeLessThanOrEqual(100);
    expect(busy.power).toBeGreaterThan(GPU_IDLE_POWER_W + 400);
    // 4 x (7 shared-or-not prompt blocks + generated blocks) of 200 blocks, of 8 GiB.
    expect(busy.used).toBeGreaterThan(idle.used + 100);
    expect(busy.used + busy.free).toBe(81559);
    await Promise.all(streams.map((s) => readEvents(s)));
    await new Promise((r) => setTimeout(r, 100));
    await gpu(sim.url); // a scrape whose window still saw the tail of the load
    await new Promise((r) => setTimeout(r, 100));
    expect(await gpu(sim.url)).toMatchObject({ util: 0, used: idle.used, power: GPU_IDLE_POWER_W });
  });

  it('drop the framebuffer to the residual while asleep and restore it on wake-up', async () => {
    sim = await startSimServer({ ...base, dev_mode: true, enable_sleep_mode: true, time_scale: 0.05 });
    expect((await gpu(sim.url)).used).toBe(Math.round(IDLE_MIB));
    expect((await post(`${sim.url}/sleep?level=1`, '')).status).toBe(200);
    expect(await gpu(sim.url)).toMatchObject({ used: 512, free: 81559 - 512, util: 0 });
    expect((await post(`${sim.url}/wake_up?tags=weights`, '')).status).toBe(200);
    expect((await gpu(sim.url)).used).toBe(Math.round(IDLE_MIB));
    expect((await post(`${sim.url}/wake_up`, '')).status).toBe(200);
    expect((await gpu(sim.url)).used).toBe(Math.round(IDLE_MIB));
  });

  it('model utilisation as busy time x batch fill', () => {
    expect(utilizationPct(0, 16)).toBe(0);
    expect(utilizationPct(0.5, 16)).toBe(26);
    expect(utilizationPct(1, 16)).toBe(53);
    expect(utilizationPct(8, 16)).toBe(75);
    expect(utilizationPct(16, 16)).toBe(100);
    expect(utilizationPct(40, 16)).toBe(100);
  });

  it('options: GPU identity is fixed at start and validated', () => {
    expect(SimOptionsSchema.parse({})).toMatchObject({ gpu_index: 0, gpu_uuid: null, gpu_model_name: 'NVIDIA H100 80GB HBM3', gpu_memory_mib: 81559, node_name: null, namespace: null, container_name: 'vllm' });
    const r = SimOptionsSchema.safeParse({ gpu_memory_mib: 0 });
    expect(r.success).toBe(false);
  });
});
