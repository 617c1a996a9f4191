import { describe, expect, it } from 'vitest';
import { StoreError, type KObject } from '../../store-types.ts';
import { fieldValue, matchesFields, parseFieldSelector } from '../../api/field-selector.ts';
import { formatLabelSelector, matchesLabels, parseLabelSelector, structuredRequirements } from '../../api/label-selector.ts';
import { resourceInfo, type ResourceInfo } from '../../api/resources.ts';

const pods = resourceInfo('pods') as ResourceInfo;

function sel(s: string, labels: Record<string, string> | undefined): boolean {
  return matchesLabels(parseLabelSelector(s), labels);
}

function badSelector(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

describe('label selectors', () => {
  it('parses every operator into requirements', () => {
    expect(parseLabelSelector('a=b, c==d,e!=f,g in (h, i),j notin (k),l,!m,n>3,o<10')).toEqual([
      { key: 'a', op: 'in', values: ['b'] },
      { key: 'c', op: 'in', values: ['d'] },
      { key: 'e', op: 'notin', values: ['f'] },
      { key: 'g', op: 'in', values: ['h', 'i'] },
      { key: 'j', op: 'notin', values: ['k'] },
      { key: 'l', op: 'exists', values: [] },
      { key: 'm', op: '!', values: [] },
      { key: 'n', op: 'gt', values: ['3'] },
      { key: 'o', op: 'lt', values: ['10'] },
    ]);
    expect(parseLabelSelector('')).toEqual([]);
    expect(parseLabelSelector('dual-pods.llm-d.ai/dual=req-1')).toEqual([{ key: 'dual-pods.llm-d.ai/dual', op: 'in', values: ['req-1'] }]);
    expect(parseLabelSelector('a=')).toEqual([{ key: 'a', op: 'in', values: [''] }]);
  });

  it('matches equality and set requirements as Kubernetes does', () => {
    const labels = { app: 'web', tier: 'front', n: '5' };
    expect(sel('app=web', labels)).toBe(true);
    expect(sel('app=web,tier=back', labels)).toBe(false);
    expect(sel('app!=api', labels)).toBe(true);
    // != and notin also match objects that lack the key.
    expect(sel('missing!=x', labels)).toBe(true);
    expect(sel('missing notin (x)', labels)).toBe(true);
    expect(sel('tier in (front,back)', labels)).toBe(true);
    expect(sel('tier notin (front)', labels)).toBe(false);
    expect(sel('app', labels)).toBe(true);
    expect(sel('!app', labels)).toBe(false);
    expect(sel('!missing', labels)).toBe(true);
    expect(sel('n>4', labels)).toBe(true);
    expect(sel('n>5', labels)).toBe(false);
    expect(sel('n<6', labels)).toBe(true);
    expect(sel('app>1', labels)).toBe(false); // not an integer value
    expect(sel('', undefined)).toBe(true);
    expect(sel('app=web', undefined)).toBe(false);
  });

  it('rejects malformed selectors with a 400', () => {
    for (const bad of ['a in ()', 'a in (b', '=b', 'a=b,', 'a b', 'a>x', 'Bad Key=1', 'a=-bad-']) {
      const err = badSelector(() => parseLabelSelector(bad));
      expect(err.code, bad).toBe(400);
      expect(err.reason).toBe('BadRequest');
    }
    expect(badSelector(() => parseLabelSelector('a in ()')).message).toContain("values set can't be empty");
  });

  it('converts structured selectors and formats them as Scale.status.selector does', () => {
    const reqs = structuredRequirements({ matchLabels: { app: 'web', 'pod-template-hash': 'abc' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'x', operator: 'DoesNotExist' }] });
    expect(matchesLabels(reqs, { app: 'web', 'pod-template-hash': 'abc', tier: 'a' })).toBe(true);
    expect(matchesLabels(reqs, { app: 'web', 'pod-template-hash': 'abc', tier: 'a', x: '1' })).toBe(false);
    expect(formatLabelSelector(reqs)).toBe('app=web,pod-template-hash=abc,tier in (a,b),!x');
    expect(badSelector(() => structuredRequirements({ matchExpressions: [{ key: 'a', operator: 'Near' }] })).code).toBe(400);
  });
});

describe('field selectors', () => {
  const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'ns' }, spec: { nodeName: 'node-1' }, status: { phase: 'Running' } };
  const unscheduled: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p2', namespace: 'ns' }, spec: {}, status: { phase: 'Pending' } };

  it('matches =, == and != over the supported fields; a missing field reads as empty', () => {
    expect(matchesFields(parseFieldSelector('metadata.name=p1', pods), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('metadata.name==p2', pods), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('spec.nodeName=node-1,status.phase!=Pending', pods), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName=', pods), unscheduled)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName=', pods), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('metadata.namespace!=ns', pods), pod)).toBe(false);
    expect(parseFieldSelector('', pods)).toEqual([]);
  });

  it('reads event source by component and unescapes values', () => {
    const ev: KObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, source: { component: 'kubelet' }, reason: 'a,b' };
    expect(fieldValue(ev, 'source')).toBe('kubelet');
    expect(matchesFields(parseFieldSelector('reason=a\\,b', resourceInfo('events')), ev)).toBe(true);
  });

  it('rejects fields the resource does not support, and malformed terms, with a 400', () => {
    expect(badSelector(() => parseFieldSelector('spec.foo=x', pods)).message).toBe('field label not supported: spec.foo');
    expect(badSelector(() => parseFieldSelector('status.phase=Running', resourceInfo('configmaps'))).code).toBe(400);
    expect(badSelector(() => parseFieldSelector('justaword', pods)).code).toBe(400);
  });
});
