import { describe, expect, it } from 'vitest';
import { StoreError, type KObject } from '../../store-types.ts';
import { applyJsonPatch, jsonEqual, parsePointer } from '../../api/json-patch.ts';
import { applyMergePatch, applyStrategicMergePatch } from '../../api/merge-patch.ts';
import { applyPatch, patchTypeOf } from '../../api/patch.ts';
import { resourceInfo } from '../../api/resources.ts';

function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

describe('JSON merge patch (RFC 7386 appendix A)', () => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j + %j', (target, patch, expected) => {
    const before = structuredClone(target);
    expect(applyMergePatch(target, patch)).toEqual(expected);
    expect(target).toEqual(before); // inputs are not modified
  });
});

describe('JSON patch (RFC 6902 appendix A)', () => {
  it('add, remove, replace, move, copy and test', () => {
    expect(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({ foo: 'bar', baz: 'qux' });
    expect(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({ foo: ['bar', 'qux', 'baz'] });
    expect(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' });
    expect(applyJsonPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }])).toEqual({ foo: ['bar', 'baz'] });
    expect(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }])).toEqual({ baz: 'boo', foo: 'bar' });
    expect(applyJsonPatch({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }])).toEqual({
      foo: { bar: 'baz' },
      qux: { corge: 'grault', thud: 'fred' },
    });
    expect(applyJsonPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }])).toEqual({ foo: ['all', 'cows', 'eat', 'grass'] });
    expect(applyJsonPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }])).toEqual({ foo: ['bar', ['abc', 'def']] });
    expect(applyJsonPatch({ a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }])).toEqual({ a: { b: 1 }, c: { b: 1 } });
    expect(applyJsonPatch({ baz: 'qux', foo: ['a', 2, 'c'] }, [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }])).toEqual({ baz: 'qux', foo: ['a', 2, 'c'] });
  });

  it('escapes ~0 and ~1 in pointers', () => {
    expect(parsePointer('/a~1b/~0c')).toEqual(['a/b', '~c']);
    const labels = applyJsonPatch({ metadata: { labels: {} } }, [{ op: 'add', path: '/metadata/labels/dual-pods.llm-d.ai~1dual', value: 'p1' }]);
    expect(labels).toEqual({ metadata: { labels: { 'dual-pods.llm-d.ai/dual': 'p1' } } });
  });

  it('fails the whole patch with a 422 and leaves the document unchanged', () => {
    const doc = { baz: 'qux', n: 1 };
    const failed = storeError(() => applyJsonPatch(doc, [{ op: 'replace', path: '/n', value: 2 }, { op: 'test', path: '/baz', value: 'bar' }]));
    expect(failed.code).toBe(422);
    expect(failed.message).toContain('/baz');
    expect(doc).toEqual({ baz: 'qux', n: 1 });
    expect(storeError(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }])).code).toBe(422);
    expect(storeError(() => applyJsonPatch({ a: [1] }, [{ op: 'remove', path: '/a/5' }])).code).toBe(422);
    expect(storeError(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }])).code).toBe(422);
    // A malformed document is the client's 400, not a 422.
    expect(storeError(() => applyJsonPatch({}, { op: 'add' })).code).toBe(400);
    expect(storeError(() => applyJsonPatch({}, [{ op: 'add', path: '/a' }])).code).toBe(400);
  });

  it('compares JSON structurally in test', () => {
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
  });
});

describe('strategic merge patch', () => {
  const pod = {
    metadata: { name: 'p', finalizers: ['a'], labels: { x: '1' } },
    spec: {
      containers: [
        { name: 'main', image: 'img:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], volumeMounts: [{ name: 'v', mountPath: '/data' }] },
        { name: 'side', image: 'side:1' },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
      tolerations: [{ key: 't1' }],
    },
    status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
  };

  it('merges containers, env and volumes by name and conditions by type', () => {
    const out = applyStrategicMergePatch(pod, {
      spec: {
        containers: [{ name: 'main', image: 'img:2', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }, { name: 'new', image: 'new:1' }],
        volumes: [{ name: 'w', emptyDir: {} }],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    }) as typeof pod;
    expect(out.spec.containers).toEqual([
      { name: 'main', image: 'img:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }], volumeMounts: [{ name: 'v', mountPath: '/data' }] },
      { name: 'side', image: 'side:1' },
      { name: 'new', image: 'new:1' },
    ]);
    expect(out.spec.volumes).toEqual([{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }]);
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
    // Lists without a merge key are replaced, as in merge patch.
    expect(applyStrategicMergePatch(pod, { spec: { tolerations: [{ key: 't2' }] } })).toMatchObject({ spec: { tolerations: [{ key: 't2' }] } });
  });

  it('honours $patch: delete and replace, $deleteFromPrimitiveList, and merges finalizers as a set', () => {
    const out = applyStrategicMergePatch(pod, {
      metadata: { finalizers: ['b', 'a'], labels: { x: null, y: '2' } },
      spec: { containers: [{ name: 'side', $patch: 'delete' }], volumes: [{ $patch: 'replace' }, { name: 'z', emptyDir: {} }] },
    }) as typeof pod;
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
    expect(out.metadata.labels).toEqual({ y: '2' });
    expect(out.spec.containers.map((c) => c.name)).toEqual(['main']);
    expect(out.spec.volumes).toEqual([{ name: 'z', emptyDir: {} }]);
    const removed = applyStrategicMergePatch(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }) as typeof pod;
    expect(removed.metadata.finalizers).toEqual([]);
    const replacedMap = applyStrategicMergePatch(pod, { metadata: { labels: { $patch: 'replace', only: 'me' } } }) as typeof pod;
    expect(replacedMap.metadata.labels).toEqual({ only: 'me' });
    expect(JSON.stringify(out)).not.toContain('$patch');
  });

  it('merges container ports by containerPort and Service ports by port', () => {
    const c = applyStrategicMergePatch({ ports: [{ containerPort: 80, name: 'a' }] }, { ports: [{ containerPort: 80, name: 'b' }, { containerPort: 81 }] });
    expect(c).toEqual({ ports: [{ containerPort: 80, name: 'b' }, { containerPort: 81 }] });
    const s = applyStrategicMergePatch({ ports: [{ port: 80, targetPort: 8000 }] }, { ports: [{ port: 80, targetPort: 9000 }] });
    expect(s).toEqual({ ports: [{ port: 80, targetPort: 9000 }] });
  });

  it('rejects keyed-list elements without their key with a 400', () => {
    expect(storeError(() => applyStrategicMergePatch(pod, { spec: { containers: [{ image: 'x' }] } })).code).toBe(400);
  });
});

describe('applyPatch', () => {
  const obj: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };

  it('selects the patch type from the Content-Type', () => {
    expect(patchTypeOf('application/merge-patch+json')).toBe('merge');
    expect(patchTypeOf('application/strategic-merge-patch+json; charset=utf-8')).toBe('strategic');
    expect(patchTypeOf('application/json-patch+json')).toBe('json');
    expect(patchTypeOf('application/apply-patch+yaml')).toBe('apply');
    expect(patchTypeOf('application/json')).toBeUndefined();
  });

  it('answers 415 for strategic merge patch on a custom resource, as the API server does', () => {
    const err = storeError(() => applyPatch({ apiVersion: 'fma.llm-d.ai/v1alpha1', kind: 'LauncherConfig', metadata: { name: 'x' } }, { spec: {} }, 'strategic', resourceInfo('launcherconfigs')));
    expect(err.code).toBe(415);
    expect(err.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got "application/strategic-merge-patch+json")',
    );
  });

  it('applies each type and refuses a patch that removes metadata', () => {
    expect(applyPatch(obj, { metadata: { labels: { b: '2' } } }, 'merge').metadata.labels).toEqual({ a: '1', b: '2' });
    expect(applyPatch(obj, [{ op: 'replace', path: '/metadata/labels/a', value: '9' }], 'json').metadata.labels).toEqual({ a: '9' });
    expect(storeError(() => applyPatch(obj, { metadata: null }, 'merge')).code).toBe(422);
    expect(storeError(() => applyPatch(obj, [1], 'merge')).code).toBe(400);
  });
});
