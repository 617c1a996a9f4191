import { describe, expect, it } from 'vitest';
import { findUnknownField } from '../../behaviour/dual-pods/pod-schema.ts';
import { strategicMergePod } from '../../behaviour/dual-pods/strategic-merge.ts';

const base = {
  metadata: { labels: { app: 'dp', role: 'server' }, finalizers: ['a'] },
  spec: {
    containers: [
      { name: 'inference-server', image: 'requester:1', args: ['--x'], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 8080 }] },
      { name: 'sidecar', image: 's:1' },
    ],
    volumes: [{ name: 'v1', emptyDir: {} }],
    tolerations: [{ key: 't1' }],
  },
};

describe('strategic merge patch of a Pod (protocol 2.1 step 3)', () => {
  it('deletes a label with null and merges containers by name, env by name, ports by containerPort', () => {
    const out = strategicMergePod(base, {
      metadata: { labels: { app: null, extra: 'y' } },
      spec: {
        containers: [
          { name: 'inference-server', image: 'vllm:2', args: ['--port=8000'], env: [{ name: 'B', value: '20' }, { name: 'C', value: '3' }], ports: [{ containerPort: 8000 }] },
        ],
      },
    });
    expect(out.metadata).toEqual({ labels: { role: 'server', extra: 'y' }, finalizers: ['a'] });
    const spec = out.spec as typeof base.spec;
    expect(spec.containers).toEqual([
      {
        name: 'inference-server',
        image: 'vllm:2',
        args: ['--port=8000'],
        env: [{ name: 'A', value: '1' }, { name: 'B', value: '20' }, { name: 'C', value: '3' }],
        ports: [{ containerPort: 8080 }, { containerPort: 8000 }],
      },
      { name: 'sidecar', image: 's:1' },
    ]);
    expect(base.spec.containers[0]!.image).toBe('requester:1'); // input untouched
  });

  it('replaces lists without a merge key and unions finalizers', () => {
    const out = strategicMergePod(base, { metadata: { finalizers: ['b', 'a'] }, spec: { tolerations: [{ key: 't2' }] } });
    expect((out.spec as typeof base.spec).tolerations).toEqual([{ key: 't2' }]);
    expect((out.metadata as typeof base.metadata).finalizers).toEqual(['a', 'b']);
  });

  it('honours $patch delete on a list element, $patch replace on a list and on a map, $retainKeys', () => {
    const del = strategicMergePod(base, { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } });
    expect((del.spec as typeof base.spec).containers.map((c) => c.name)).toEqual(['inference-server']);
    const rep = strategicMergePod(base, { spec: { volumes: [{ $patch: 'replace' }, { name: 'v2', hostPath: { path: '/x' } }] } });
    expect((rep.spec as typeof base.spec).volumes).toEqual([{ name: 'v2', hostPath: { path: '/x' } }]);
    const repMap = strategicMergePod(base, { metadata: { labels: { $patch: 'replace', only: 'this' } } });
    expect((repMap.metadata as typeof base.metadata).labels).toEqual({ only: 'this' });
    const retained = strategicMergePod(base, { spec: { containers: [{ name: 'sidecar', $retainKeys: ['name'] }] } });
    expect((retained.spec as typeof base.spec).containers[1]).toEqual({ name: 'sidecar' });
  });

  it('treats an empty patch as no change and rejects a non-map patch', () => {
    expect(strategicMergePod(base, null)).toEqual(base);
    expect(() => strategicMergePod(base, ['x'])).toThrow('not a map');
    expect(() => strategicMergePod(base, { spec: { containers: [{ image: 'no-name' }] } })).toThrow('does not contain declared merge key: name');
  });

  it('strict decoding names the first unknown field (protocol 2.1 step 4)', () => {
    expect(findUnknownField(base)).toBeUndefined();
    expect(findUnknownField({ ...base, spec: { ...base.spec, containers: [{ name: 'x', imagee: 'typo' }] } })).toBe('spec.containers[0].imagee');
    expect(findUnknownField({ ...base, extra: 1 })).toBe('extra');
    expect(findUnknownField({ spec: { nodeSelectr: {} } })).toBe('spec.nodeSelectr');
  });
});
