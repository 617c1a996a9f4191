import { describe, expect, it } from 'vitest';
import { gpuMapConfigMap, mapToGpuIndices, parseGpuMap } from '../../behaviour/dual-pods/gpu-map.ts';

const nodes = [
  { name: 'n1', gpus: [{ uuid: 'GPU-aaa', index: 0 }, { uuid: 'GPU-bbb', index: 1 }] },
  { name: 'n2', gpus: [{ uuid: 'GPU-ccc', index: 0 }] },
];

describe('gpu-map ConfigMap (protocol 2.2 UUID -> index)', () => {
  it('is keyed by node with a JSON {uuid: index} value', () => {
    const cm = gpuMapConfigMap(nodes, 'ns');
    expect(cm.metadata).toEqual({ name: 'gpu-map', namespace: 'ns' });
    expect(cm.data).toEqual({ n1: '{"GPU-aaa":0,"GPU-bbb":1}', n2: '{"GPU-ccc":0}' });
  });

  it('maps UUIDs on their own node to indices in request order', () => {
    const { map, problems } = parseGpuMap(gpuMapConfigMap(nodes, 'ns'));
    expect(problems).toEqual([]);
    expect(mapToGpuIndices(map, 'n1', ['GPU-bbb', 'GPU-aaa'])).toEqual(['1', '0']);
  });

  it('reports unknown UUIDs and UUIDs on another node, one line each', () => {
    const { map } = parseGpuMap(gpuMapConfigMap(nodes, 'ns'));
    expect(() => mapToGpuIndices(map, 'n1', ['GPU-zzz', 'GPU-ccc'])).toThrow('UUID GPU-zzz is not known\nUUID GPU-ccc is on Node n2, not n1');
  });

  it('skips malformed entries', () => {
    const { map, problems } = parseGpuMap({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gpu-map' }, data: { n1: 'not json', n2: '{"GPU-x":"one"}', n3: '{"GPU-y":2}' } });
    expect([...map.keys()]).toEqual(['GPU-y']);
    expect(problems).toHaveLength(2);
  });

  it('errors when the ConfigMap is absent, unless the naive GPU-<n> fallback is chosen', () => {
    expect(() => mapToGpuIndices(undefined, 'n1', ['GPU-1'])).toThrow('GPU map ConfigMap gpu-map is not available');
    expect(mapToGpuIndices(undefined, 'n1', ['GPU-3', 'GPU-0'], 'naive')).toEqual(['3', '0']);
    expect(() => mapToGpuIndices(undefined, 'n1', ['GPU-abc'], 'naive')).toThrow('UUID GPU-abc is not known');
  });
});
