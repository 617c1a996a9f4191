/**
 * The scheduler's filters: does a node satisfy a pod's `nodeSelector`, its required node
 * affinity, and its `nvidia.com/gpu` request? Each failing filter gives the reason text that
 * kube-scheduler puts in a `FailedScheduling` event.
 */
import type { KObject } from '../store-types.ts';
import type { PodView } from './pod-spec.ts';

/** Why a node does not fit, as kube-scheduler words it. */
export type MisfitReason = "node(s) didn't match Pod's node affinity/selector" | 'node(s) were unschedulable' | `Insufficient ${string}`;

interface MatchExpression {
  key?: string;
  operator?: string;
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: MatchExpression[];
  matchFields?: MatchExpression[];
}

function matchExpression(e: MatchExpression, value: string | undefined): boolean {
  const values = e.values ?? [];
  switch (e.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/** One term: every expression and field matches (an empty term matches nothing, as in Kubernetes). */
function matchTerm(term: NodeSelectorTerm, node: KObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  if (!exprs.every((e) => matchExpression(e, e.key !== undefined && Object.hasOwn(labels, e.key) ? labels[e.key] : undefined))) return false;
  return fields.every((f) => matchExpression(f, f.key === 'metadata.name' ? node.metadata.name : undefined));
}

/** Whether the node satisfies `spec.nodeSelector` and `requiredDuringSchedulingIgnoredDuringExecution` (terms are ORed). */
export function matchesNodeAffinity(pod: PodView, node: KObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.nodeSelector)) if (labels[k] !== v) return false;
  const required = (pod.affinity as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } } | undefined)?.nodeAffinity
    ?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const terms = required.nodeSelectorTerms ?? [];
  return terms.some((t) => matchTerm(t, node));
}

/** Whether the node is cordoned (`spec.unschedulable`). */
export function isUnschedulable(node: KObject): boolean {
  return Boolean((node.spec as { unschedulable?: boolean } | undefined)?.unschedulable);
}

/**
 * Checks one node for a pod: undefined when it fits, else the reason. `freeGpus` is what the
 * ledger says is free on that node.
 */
export function misfit(pod: PodView, node: KObject, gpuRequest: number, freeGpus: number): MisfitReason | undefined {
  if (isUnschedulable(node)) return 'node(s) were unschedulable';
  if (!matchesNodeAffinity(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
  if (gpuRequest > freeGpus) return 'Insufficient nvidia.com/gpu';
  return undefined;
}

/**
 * kube-scheduler's summary of why no node fits: `0/2 nodes are available: 1 Insufficient
 * nvidia.com/gpu, 1 node(s) didn't match Pod's node affinity/selector.` (reasons sorted, as the
 * scheduler sorts them), with its preemption sentence.
 */
export function unschedulableMessage(total: number, reasons: readonly MisfitReason[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()].map(([r, n]) => `${n} ${r}`).sort();
  const head = `0/${total} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.`;
  return `${head} preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
}
