import type { KObject } from '../store-types.ts';
import { podPhase } from './pod-state.ts';

/**
 * A Job's pods as the Job controller makes and reads them: the pod made from `spec.template` for
 * a completion index (labels, annotations, hostname and the index's environment variable), the
 * index a pod carries, and the interval format (`0-2,4`) of a set of indexes.
 */

/** The label and annotation of a pod's completion index. */
export const COMPLETION_INDEX_KEY = 'batch.kubernetes.io/job-completion-index';
/** The per-index failure count annotation of a replacement pod (backoffLimitPerIndex). */
export const INDEX_FAILURE_COUNT_KEY = 'batch.kubernetes.io/job-index-failure-count';
/** The pod's environment variable with its completion index. */
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** What the Job controller reads of a Job's spec. */
export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  completionMode?: string;
  backoffLimit?: number;
  backoffLimitPerIndex?: number | null;
  maxFailedIndexes?: number | null;
  activeDeadlineSeconds?: number | null;
  suspend?: boolean;
  podReplacementPolicy?: string;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec?: Record<string, unknown> };
}

/** `0-2,4,6-7`: the interval format of `completedIndexes` and `failedIndexes`. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Parses the interval format back (unparsable parts are skipped). */
export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}

export function isTerminal(pod: KObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

export function podIndex(pod: KObject): number | undefined {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX_KEY] ?? pod.metadata.labels?.[COMPLETION_INDEX_KEY];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * The pod of a Job: `<job>-<5 random>` (NonIndexed) or `<job>-<index>-<5 random>` (Indexed, with
 * the index and, under `backoffLimitPerIndex`, its failure count so far), owned by the Job.
 */
export function jobPod(job: KObject, spec: JobSpec, index: number | undefined, failures: number): KObject {
  const name = job.metadata.name as string;
  const meta = spec.template?.metadata ?? {};
  const labels: Record<string, string> = { ...meta.labels };
  const annotations: Record<string, string> = { ...meta.annotations };
  const podSpec = structuredClone(spec.template?.spec ?? {}) as Record<string, unknown>;
  if (index !== undefined) {
    labels[COMPLETION_INDEX_KEY] = String(index);
    annotations[COMPLETION_INDEX_KEY] = String(index);
    if (typeof spec.backoffLimitPerIndex === 'number') annotations[INDEX_FAILURE_COUNT_KEY] = String(failures);
    if (!podSpec.hostname) podSpec.hostname = `${name}-${index}`;
    for (const list of ['containers', 'initContainers']) {
      const containers = podSpec[list];
      if (!Array.isArray(containers)) continue;
      for (const c of containers as Array<{ env?: Array<{ name: string }> }>) {
        const env = Array.isArray(c.env) ? c.env : [];
        if (!env.some((e) => e?.name === COMPLETION_INDEX_ENV)) {
          env.push({ name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX_KEY}']` } } } as { name: string });
        }
        c.env = env;
      }
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata.namespace,
      labels,
      annotations,
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid as string, controller: true, blockOwnerDeletion: true }],
    },
    spec: podSpec,
  };
}
