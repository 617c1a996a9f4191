/**
 * inference-perf features that are not run yet: multimodal prompts. A workload using one is refused with one line naming the feature and the
 * keys that ask for it, in place of a line for each of those keys (and of the keys that only
 * make sense with them), so the file's other problems stay readable. The keys are those of
 * inference-perf's config model (kubernetes-sigs/inference-perf `inference_perf/config/datagen/config.py`
 * DataGenType, DataConfig and SharedPrefix).
 */
import { formatPath } from '../format-issues.ts';
import type { IssueList } from './issues.ts';

/** One way a workload asks for a feature: a key, present or holding one of `values`. */
interface Ask {
  path: readonly string[];
  values?: readonly unknown[];
  /** Paths whose problems only follow from this ask (relative to the workload). */
  covers?: readonly (readonly string[])[];
}

interface Feature {
  name: string;
  asks: readonly Ask[];
}

const FEATURES: readonly Feature[] = [
  {
    name: 'multimodal prompts',
    asks: [
      { path: ['data', 'type'], values: ['visionarena'] },
      { path: ['data', 'visionarena'] },
      { path: ['data', 'multimodal'] },
      { path: ['data', 'shared_prefix', 'multimodal'] },
    ],
  },
];

function valueAt(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * Replaces the problems of `workload` (found at `at` in the file) that come from a feature not run
 * yet with one line per feature, in `issues`.
 */
export function collapseLaterFeatures(workload: Record<string, unknown>, at: readonly PropertyKey[], issues: IssueList): void {
  for (const feature of FEATURES) {
    const found: string[] = [];
    const covered: string[] = [];
    for (const ask of feature.asks) {
      const v = valueAt(workload, ask.path);
      if (v === undefined || (ask.values && !ask.values.includes(v))) continue;
      const path = formatPath([...at, ...ask.path]);
      found.push(ask.values ? `${formatPath(ask.path)}: ${String(v)}` : formatPath(ask.path));
      covered.push(path, ...(ask.covers ?? []).map((c) => formatPath([...at, ...c])));
    }
    if (found.length === 0) continue;
    issues.drop((p) => covered.some((c) => p === c || p.startsWith(`${c}.`) || p.startsWith(`${c}[`)));
    issues.add(at, `${feature.name} (${[...new Set(found)].join(', ')}) is not run yet: a later version of vitest-llm-d runs it; until then this workload cannot run here`);
  }
}
