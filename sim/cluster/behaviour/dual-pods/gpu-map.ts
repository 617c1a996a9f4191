/**
 * The `gpu-map` ConfigMap: GPU UUID → index per node, which the controller needs on the direct
 * path to set `CUDA_VISIBLE_DEVICES` (protocol section 2.2, "UUID → index translation";
 * `controller.go` `processConfigMap`, `mapToGPUIndices`). Data key = node name, value = JSON
 * `{uuid: index}`; on a real cluster `scripts/ensure-nodes-mapped.sh` fills it.
 *
 * Who creates it: the cluster composer, from its nodes, with {@link gpuMapConfigMap} (the
 * controller never writes it, as on a real cluster). When it is absent the controller does what
 * the real one does: records "GPU map ConfigMap gpu-map is not available" in the requester's
 * status and waits for the ConfigMap to appear (its ADDED event retriggers every requester).
 * Option `gpuMapFallback: "naive"` instead maps the mock launcher's naive UUIDs `GPU-<n>` to
 * index `n` (section 2.2, `gputranslator.py` mock mode) for clusters built without a map.
 */
import type { KObject } from '../../store-types.ts';
import { GPU_MAP_NAME } from './keys.ts';

/** A node's GPUs as the composer knows them. */
export interface NodeGpus {
  name: string;
  gpus: ReadonlyArray<{ uuid: string; index: number }>;
}

/** Where a GPU is. */
export interface GpuLocation {
  node: string;
  index: number;
}

/** The `gpu-map` ConfigMap for a set of nodes (section 2.2). */
export function gpuMapConfigMap(nodes: readonly NodeGpus[], namespace: string): KObject {
  const data: Record<string, string> = {};
  for (const n of nodes) data[n.name] = JSON.stringify(Object.fromEntries(n.gpus.map((g) => [g.uuid, g.index])));
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: GPU_MAP_NAME, namespace }, data };
}

/**
 * Parses the ConfigMap into UUID → location. Entries that are not JSON maps of non-negative
 * integers are skipped, as the controller logs and skips them; `problems` names them.
 */
export function parseGpuMap(cm: KObject): { map: Map<string, GpuLocation>; problems: string[] } {
  const map = new Map<string, GpuLocation>();
  const problems: string[] = [];
  const data = (cm.data ?? {}) as Record<string, string>;
  for (const [node, text] of Object.entries(data)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      problems.push(`A GPU map entry failed to parse as JSON: nodeName=${node}: ${(err as Error).message}`);
      continue;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`A GPU map entry failed to parse as JSON: nodeName=${node}: not an object`);
      continue;
    }
    const entries = Object.entries(parsed as Record<string, unknown>);
    if (!entries.every(([, v]) => Number.isInteger(v) && (v as number) >= 0)) {
      problems.push(`A GPU map entry failed to parse as JSON: nodeName=${node}: values must be non-negative integers`);
      continue;
    }
    for (const [uuid, index] of entries) map.set(uuid, { node, index: index as number });
  }
  return { map, problems };
}

/** How UUIDs are mapped when the ConfigMap is absent. */
export type GpuMapFallback = 'error' | 'naive';

/**
 * Maps the requester's GPU UUIDs to indices on its node (`mapToGPUIndices`). Throws an Error
 * whose message (one line per UUID, as Go's `errors.Join`) goes into the requester's status.
 */
export function mapToGpuIndices(map: Map<string, GpuLocation> | undefined, nodeName: string, uuids: readonly string[], fallback: GpuMapFallback = 'error'): string[] {
  if (!map) {
    if (fallback === 'naive') {
      const bad = uuids.filter((u) => !/^GPU-\d+$/.test(u));
      if (bad.length === 0) return uuids.map((u) => String(Number(u.slice(4))));
      throw new Error(bad.map((u) => `UUID ${u} is not known`).join('\n'));
    }
    throw new Error(`GPU map ConfigMap ${GPU_MAP_NAME} is not available`);
  }
  const errors: string[] = [];
  const indices = uuids.map((uuid) => {
    const loc = map.get(uuid);
    if (!loc) errors.push(`UUID ${uuid} is not known`);
    else if (loc.node !== nodeName) errors.push(`UUID ${uuid} is on Node ${loc.node}, not ${nodeName}`);
    return loc ? String(loc.index) : '';
  });
  if (errors.length > 0) throw new Error(errors.join('\n'));
  return indices;
}
