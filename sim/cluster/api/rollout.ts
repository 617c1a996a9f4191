import { jsonEqual } from './json-patch.ts';

/**
 * The pure arithmetic of a Deployment rollout, after kube-controller-manager's deployment
 * controller: the pod-template-hash, template equality ignoring that hash label, `maxSurge` /
 * `maxUnavailable` resolution, and the replica counts one sync moves each ReplicaSet to under the
 * RollingUpdate and Recreate strategies.
 */

/** The label (and selector key) that ties a ReplicaSet and its pods to one Deployment template. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';

/** The alphabet Kubernetes encodes the hash with (no vowels, so no words). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** FNV-1a, 32 bits, over UTF-8. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A template without the pod-template-hash label (what two templates are compared on). */
export function templateWithoutHash(template: unknown): Record<string, unknown> {
  const t = structuredClone((template ?? {}) as Record<string, unknown>);
  const meta = t.metadata as { labels?: Record<string, string> } | undefined;
  if (meta?.labels) {
    delete meta.labels[POD_TEMPLATE_HASH];
    if (Object.keys(meta.labels).length === 0) delete meta.labels;
  }
  return t;
}

/** The pod-template-hash of a template (FNV-1a of its canonical JSON, plus the collision count), encoded like Kubernetes' `SafeEncodeString`. */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const digits = String(fnv32a(stableJson(templateWithoutHash(template)) + (collisionCount ? `#${collisionCount}` : '')));
  let out = '';
  for (const ch of digits) out += ALPHANUMS[ch.charCodeAt(0) % ALPHANUMS.length];
  return out;
}

/** Whether two pod templates are equal ignoring the pod-template-hash label. */
export function templatesEqual(a: unknown, b: unknown): boolean {
  return jsonEqual(templateWithoutHash(a), templateWithoutHash(b));
}

/** Resolves an int-or-percent (`1`, `"25%"`) against `total`, rounding percentages up or down. */
export function resolveIntOrPercent(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return Math.max(0, Math.floor(value));
  const m = /^(\d+)%$/.exec(value.trim());
  if (!m) return /^\d+$/.test(value.trim()) ? Number(value) : 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge (rounded up) and maxUnavailable (rounded down); both zero becomes unavailable 1, as in Kubernetes. */
export function fenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = resolveIntOrPercent(maxSurge, desired, true);
  let unavailable = resolveIntOrPercent(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, desired) };
}

/** A ReplicaSet as the rollout sees it. */
export interface RsCounts {
  name: string;
  /** `spec.replicas`. */
  replicas: number;
  /** `status.availableReplicas`. */
  available: number;
}

/**
 * Target replicas for each ReplicaSet after one RollingUpdate step: the new one grows within
 * `desired + surge` pods, the old ones (oldest first) shrink while at least `desired - unavailable`
 * pods stay available, unhealthy old replicas first.
 */
export function planRollingUpdate(desired: number, surge: number, unavailable: number, newRs: RsCounts, oldest: RsCounts[]): Map<string, number> {
  const plan = new Map<string, number>();
  const oldTotal = oldest.reduce((n, r) => n + r.replicas, 0);
  let newReplicas = newRs.replicas;
  if (newReplicas < desired) {
    const maxTotal = desired + surge;
    const total = newReplicas + oldTotal;
    if (total < maxTotal) newReplicas = Math.min(desired, newReplicas + (maxTotal - total));
  } else if (newReplicas > desired) {
    newReplicas = desired;
  }
  plan.set(newRs.name, newReplicas);
  const olds = oldest.map((r) => ({ ...r }));
  const minAvailable = desired - unavailable;
  const newUnavailable = Math.max(0, newReplicas - newRs.available);
  let maxScaledDown = newReplicas + oldTotal - minAvailable - newUnavailable;
  // Unhealthy old replicas go first: removing them does not lower availability.
  for (const r of olds) {
    if (maxScaledDown <= 0) break;
    const unhealthy = r.replicas - r.available;
    if (unhealthy <= 0) continue;
    const d = Math.min(unhealthy, maxScaledDown);
    r.replicas -= d;
    maxScaledDown -= d;
  }
  let canScaleDown = newRs.available + olds.reduce((n, r) => n + Math.min(r.available, r.replicas), 0) - minAvailable;
  for (const r of olds) {
    if (canScaleDown <= 0) break;
    const d = Math.min(r.replicas, canScaleDown);
    r.replicas -= d;
    canScaleDown -= d;
  }
  for (const r of olds) plan.set(r.name, r.replicas);
  return plan;
}

/**
 * Target replicas after one Recreate step: old ReplicaSets go to zero first; the new one is
 * scaled to `desired` only once no pod of an old one is left (running or terminating).
 */
export function planRecreate(desired: number, newRs: RsCounts, old: RsCounts[], oldPodsLeft: boolean): Map<string, number> {
  const plan = new Map<string, number>();
  for (const r of old) plan.set(r.name, 0);
  const oldScaledDown = old.every((r) => r.replicas === 0);
  plan.set(newRs.name, oldScaledDown && !oldPodsLeft ? desired : newRs.replicas);
  return plan;
}
