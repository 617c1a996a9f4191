import { getPriority } from 'node:os';
import { expect, test } from 'vitest';
import { raiseMeasuringPriority } from '../../lib/load/measuring-process.ts';
import { spawnSimulator } from '../../sim/vllm/spawn.ts';

test('the measuring thread runs at nice -10 when permitted, says why not otherwise, and the simulator it starts does not inherit it', async () => {
  const p = raiseMeasuringPriority();
  expect(raiseMeasuringPriority()).toBe(p); // once per thread
  if (p.raised) {
    expect(getPriority()).toBe(-10);
    expect(p.nice).toBe(-10);
  } else {
    expect(p.note).toMatch(/not permitted|already/);
    expect(p.nice).toBe(getPriority());
  }
  const sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words' });
  try {
    expect(getPriority(sim.pid)).toBe(Math.max(0, p.raised ? 0 : getPriority()));
  } finally {
    await sim.stop();
  }
});
