/**
 * Which nodes a LauncherPopulationPolicy selects (protocol section 5, "CRDs":
 * `spec.enhancedNodeSelector{labelSelector, allocatableResources{<res>: {min, max}}}`;
 * `getMatchingNodes`, `matchesResourceConditions`): a `metav1.LabelSelector` over the node's
 * labels and inclusive ranges over `status.allocatable` quantities.
 */
import type { KObject } from '../../store-types.ts';

/** `metav1.LabelSelector`. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** `spec.enhancedNodeSelector`. */
export interface EnhancedNodeSelector {
  labelSelector?: LabelSelector;
  allocatableResources?: Record<string, { min?: string | number; max?: string | number }>;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity (`"8"`, `"500m"`, `"80Gi"`, `"1e3"`) as a number; undefined when malformed. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (typeof q === 'number') return q;
  if (q === undefined) return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|n|u|m|k|M|G|T|P|E)?$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return n * BINARY[suffix]!;
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * (DECIMAL[suffix] ?? 1);
}

/** Whether labels match a selector; throws with a message on an invalid selector. */
export function matchesLabelSelector(labels: Record<string, string>, sel: LabelSelector | undefined): boolean {
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel?.matchExpressions ?? []) {
    const has = e.key in labels;
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (values.length === 0) throw new Error(`invalid label selector: values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
        if (!has || !values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (values.length === 0) throw new Error(`invalid label selector: values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
        if (has && values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`invalid label selector: "${e.operator}" is not a valid label selector operator`);
    }
  }
  return true;
}

/** Whether a node's allocatable resources fall in every range. */
export function matchesAllocatable(node: KObject, ranges: EnhancedNodeSelector['allocatableResources']): boolean {
  const alloc = ((node.status as { allocatable?: Record<string, string> } | undefined)?.allocatable ?? {}) as Record<string, string>;
  for (const [res, range] of Object.entries(ranges ?? {})) {
    const have = parseQuantity(alloc[res]) ?? 0;
    const min = parseQuantity(range.min);
    const max = parseQuantity(range.max);
    if (min !== undefined && have < min) return false;
    if (max !== undefined && have > max) return false;
  }
  return true;
}

/** The nodes a selector selects (`getMatchingNodes`); throws on an invalid label selector. */
export function selectNodes(nodes: readonly KObject[], sel: EnhancedNodeSelector | undefined): KObject[] {
  return nodes.filter((n) => matchesLabelSelector(n.metadata.labels ?? {}, sel?.labelSelector) && matchesAllocatable(n, sel?.allocatableResources));
}
