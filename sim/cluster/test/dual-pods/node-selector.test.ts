import { describe, expect, it } from 'vitest';
import { matchesLabelSelector, parseQuantity, selectNodes } from '../../behaviour/dual-pods/node-selector.ts';
import type { KObject } from '../../store-types.ts';

const node = (name: string, labels: Record<string, string>, allocatable: Record<string, string>): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { allocatable } });

describe('LauncherPopulationPolicy node selection (protocol 5, enhancedNodeSelector)', () => {
  it('parses Kubernetes quantities', () => {
    expect(parseQuantity('8')).toBe(8);
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseQuantity('1.5k')).toBe(1500);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('lots')).toBeUndefined();
  });

  it('matches labels and expressions, and rejects bad operators', () => {
    const l = { a: '1', b: '2' };
    expect(matchesLabelSelector(l, { matchLabels: { a: '1' } })).toBe(true);
    expect(matchesLabelSelector(l, { matchLabels: { a: '2' } })).toBe(false);
    expect(matchesLabelSelector(l, { matchExpressions: [{ key: 'b', operator: 'In', values: ['2', '3'] }] })).toBe(true);
    expect(matchesLabelSelector(l, { matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['2'] }] })).toBe(false);
    expect(matchesLabelSelector(l, { matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] })).toBe(true);
    expect(matchesLabelSelector(l, { matchExpressions: [{ key: 'c', operator: 'Exists' }] })).toBe(false);
    expect(matchesLabelSelector(l, undefined)).toBe(true);
    expect(() => matchesLabelSelector(l, { matchExpressions: [{ key: 'a', operator: 'Like' }] })).toThrow('is not a valid label selector operator');
  });

  it('selects nodes by labels and allocatable ranges', () => {
    const nodes = [node('gpu4', { gpu: 'true' }, { 'nvidia.com/gpu': '4', memory: '512Gi' }), node('gpu8', { gpu: 'true' }, { 'nvidia.com/gpu': '8' }), node('cpu', {}, {})];
    const names = (sel: Parameters<typeof selectNodes>[1]) => selectNodes(nodes, sel).map((n) => n.metadata.name);
    expect(names({ labelSelector: { matchLabels: { gpu: 'true' } } })).toEqual(['gpu4', 'gpu8']);
    expect(names({ allocatableResources: { 'nvidia.com/gpu': { min: '5' } } })).toEqual(['gpu8']);
    expect(names({ allocatableResources: { 'nvidia.com/gpu': { max: '4' } } })).toEqual(['gpu4', 'cpu']);
    expect(names({ allocatableResources: { memory: { min: '256Gi' } } })).toEqual(['gpu4']);
  });
});
