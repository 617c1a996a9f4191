import { describe, expect, it } from 'vitest';
import { planLauncherSelection, type LauncherCandidate } from '../../behaviour/dual-pods/launcher-plan.ts';

const T = 'Itargeti';
const inst = (id: string, port: number | undefined = 8000, status = 'running') => ({ id, status, port });
function launcher(name: string, instances: LauncherCandidate['instances'], lastUsed: Record<string, number> = {}, over: Partial<LauncherCandidate> = {}): LauncherCandidate {
  return { name, failed: false, deleting: false, bound: false, ready: true, instances, lastUsed: new Map(Object.entries(lastUsed)), ...over };
}

describe('launcher selection (protocol 2.4 selectOrReclaimLauncherPod, 9.3 F.2)', () => {
  it('cold when there is no candidate', () => {
    expect(planLauncherSelection([], T, 8000, 2)).toEqual({ kind: 'cold' });
  });

  it('hot beats an earlier warm candidate; a stopped target is not hot', () => {
    const plan = planLauncherSelection([launcher('l1', []), launcher('l2', [inst(T, 8000)])], T, 8000, 2);
    expect(plan).toEqual({ kind: 'hot', launcher: 'l2' });
    expect(planLauncherSelection([launcher('l1', [inst(T, 8000, 'stopped')])], T, 8000, 2)).toEqual({ kind: 'warm', launcher: 'l1' });
  });

  it('warm takes the first launcher with capacity (total <= maxInstances - 1) and no port conflict', () => {
    const plan = planLauncherSelection(
      [launcher('full', [inst('Ia', 8001), inst('Ib', 8002)]), launcher('conflict', [inst('Ic', 8000)]), launcher('roomy', [inst('Id', 8001)]), launcher('roomy2', [])],
      T,
      8000,
      2,
    );
    expect(plan).toEqual({ kind: 'warm', launcher: 'roomy' });
  });

  it('skips failed, deleting and bound launchers; waits for one that is not Ready when nothing else fits', () => {
    const skipped = [launcher('f', [], {}, { failed: true }), launcher('d', [], {}, { deleting: true }), launcher('b', [], {}, { bound: true })];
    expect(planLauncherSelection(skipped, T, 8000, 2)).toEqual({ kind: 'cold' });
    expect(planLauncherSelection([...skipped, launcher('starting', undefined, {}, { ready: false })], T, 8000, 2)).toEqual({ kind: 'wait' });
    expect(planLauncherSelection([launcher('sync-failed', undefined)], T, 8000, 2)).toEqual({ kind: 'wait' });
    // A usable launcher wins over waiting.
    expect(planLauncherSelection([launcher('starting', undefined, {}, { ready: false }), launcher('ok', [])], T, 8000, 2)).toEqual({ kind: 'warm', launcher: 'ok' });
  });

  it('reclaims the least recently used instance when full (maxInstances 2: one deletion)', () => {
    const plan = planLauncherSelection([launcher('l1', [inst('Ia', 8001), inst('Ib', 8002)], { Ia: 200, Ib: 100 })], T, 8000, 2);
    expect(plan).toEqual({ kind: 'reclaim', launcher: 'l1', victims: ['Ib'] });
  });

  it('must delete a port-conflicting instance even when there is room, plus LRU others to make room', () => {
    expect(planLauncherSelection([launcher('l1', [inst('Ic', 8000)])], T, 8000, 3)).toEqual({ kind: 'reclaim', launcher: 'l1', victims: ['Ic'] });
    // maxInstances 2, total 3: delete max(3 - 1, 1) = 2: the conflict, then the LRU other.
    const plan = planLauncherSelection([launcher('l1', [inst('Ia', 8001), inst('Ic', 8000), inst('Ib', 8002)], { Ia: 50, Ib: 10, Ic: 999 })], T, 8000, 2);
    expect(plan).toEqual({ kind: 'reclaim', launcher: 'l1', victims: ['Ic', 'Ib'] });
  });

  it('chooses the plan with the fewest deletions across launchers', () => {
    const plan = planLauncherSelection(
      [
        launcher('many', [inst('Ia', 8001), inst('Ib', 8002), inst('Ie', 8003)], { Ia: 1, Ib: 2, Ie: 3 }),
        launcher('few', [inst('Ic', 8001), inst('Id', 8002)], { Ic: 500, Id: 600 }),
      ],
      T,
      8000,
      2,
    );
    // 'many' needs max(3 - 1, 1) = 2 deletions, 'few' needs 1, although its instances are newer.
    expect(plan).toEqual({ kind: 'reclaim', launcher: 'few', victims: ['Ic'] });
  });

  it('breaks a tie in deletions by the older LRU victim, then by instance ID; unknown last-use counts as oldest', () => {
    const tie = planLauncherSelection(
      [launcher('newer', [inst('Ia', 8001), inst('Ib', 8002)], { Ia: 300, Ib: 200 }), launcher('older', [inst('Ic', 8001), inst('Id', 8002)], { Ic: 100, Id: 400 })],
      T,
      8000,
      2,
    );
    expect(tie).toEqual({ kind: 'reclaim', launcher: 'older', victims: ['Ic'] });
    const byId = planLauncherSelection(
      [launcher('x', [inst('Iz', 8001), inst('Iy', 8002)], { Iz: 5, Iy: 9 }), launcher('y', [inst('Ia', 8001), inst('Ib', 8002)], { Ia: 5, Ib: 9 })],
      T,
      8000,
      2,
    );
    expect(byId).toEqual({ kind: 'reclaim', launcher: 'y', victims: ['Ia'] });
    const unknown = planLauncherSelection([launcher('l', [inst('Ia', 8001), inst('Ib', 8002)], { Ia: 5 })], T, 8000, 2);
    expect(unknown).toEqual({ kind: 'reclaim', launcher: 'l', victims: ['Ib'] });
  });

  it('repairs an instance that reports no usable port before anything else', () => {
    expect(planLauncherSelection([launcher('l', [inst(T, 8000), { id: 'Ibad', status: 'running', port: undefined }])], T, 8000, 2)).toEqual({ kind: 'repair', launcher: 'l', instanceId: 'Ibad' });
  });
});
