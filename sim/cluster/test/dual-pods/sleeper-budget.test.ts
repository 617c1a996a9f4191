import { describe, expect, it } from 'vitest';
import { planSleeperBudget } from '../../behaviour/dual-pods/sleeper-budget.ts';

const occ = (name: string, lastWriteMs: number) => ({ name, lastWriteMs });

describe('sleeper budget (protocol 2.4 enforceSleeperBudget, 9.3 E.3)', () => {
  it('deletes nothing while a GPU holds at most sleeperLimit providers', () => {
    const occupants = new Map([['n1 0', [occ('a', 1), occ('b', 2)]]]);
    expect(planSleeperBudget(['n1 0'], occupants, 2)).toEqual([]);
  });

  it('deletes the excess oldest first (earliest controller write), name breaking ties', () => {
    const occupants = new Map([['n1 0', [occ('c', 30), occ('b', 10), occ('a', 10), occ('d', 40)]]]);
    expect(planSleeperBudget(['n1 0'], occupants, 2)).toEqual([
      { name: 'a', gpuKey: 'n1 0', idx: 0, total: 4 },
      { name: 'b', gpuKey: 'n1 0', idx: 1, total: 4 },
    ]);
  });

  it('with limit 0 deletes every sleeper on the GPU', () => {
    const occupants = new Map([['n1 3', [occ('x', 5)]]]);
    expect(planSleeperBudget(['n1 3'], occupants, 0).map((v) => v.name)).toEqual(['x']);
  });

  it('does not count a provider deleted for one GPU again for another (multi-GPU providers)', () => {
    const occupants = new Map([
      ['n1 0', [occ('p01', 1), occ('p0', 2)]],
      ['n1 1', [occ('p01', 1), occ('p1', 3)]],
    ]);
    expect(planSleeperBudget(['n1 0', 'n1 1'], occupants, 1)).toEqual([{ name: 'p01', gpuKey: 'n1 0', idx: 0, total: 2 }]);
  });

  it('only looks at the requester\'s own GPUs', () => {
    const occupants = new Map([['n1 1', [occ('a', 1), occ('b', 2), occ('c', 3)]]]);
    expect(planSleeperBudget(['n1 0'], occupants, 1)).toEqual([]);
  });
});
