import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ActuationSession } from '../../lib/actuation/session.ts';
import { labelled, openSimCluster, testRunId, TEMPLATES, type SimCluster } from './helpers.ts';

let c: SimCluster;

beforeAll(async () => {
  c = await openSimCluster({ dualPods: false });
});

afterAll(async () => {
  await c?.close();
});

describe('a namespace without a dual-pods controller', () => {
  test('is said before the first step; a short step times out with no provider bound; nothing is left', async () => {
    const runId = testRunId('noctl');
    const session = await ActuationSession.open(c.conn, { template: join(TEMPLATES, 'server-request.yaml'), runId, waitTimeoutS: 20, vars: { REPLICASET_NAME: `noctl-${runId.slice(-6)}` } });
    try {
      expect(session.notes.join('\n')).toMatch(/no dual-pods controller pod found in namespace llm-d-sim: .*no requester gets a provider/);
      const step = await session.scaleTo(1, 'up');
      expect(step.timedOut).toBe(true);
      expect(step.diagnostic.join('\n')).toMatch(/no provider bound yet/);
      expect(step.dpcLog).toMatch(/no dual-pods controller pod found/);
    } finally {
      const cleanup = await session.close();
      expect(cleanup.leftovers).toEqual([]);
    }
    expect(await labelled(c.conn, runId)).toEqual([]);
  });
});
