/**
 * The Kubernetes version the simulator stands for: what `/version` reports, and which of the
 * fields a launch relies on that version's API server keeps with its default feature gates.
 *
 * - `spec.backoffLimitPerIndex` / `spec.maxFailedIndexes` of a Job (JobBackoffLimitPerIndex):
 *   alpha in 1.28 (off by default), beta and on from 1.29. With the gate off the API server drops
 *   both fields on create without an error, so the Job falls back to `backoffLimit` (default 6).
 */
import { atLeast, parseKubeVersion, SIM_VERSION_SUFFIX } from '../../../lib/k8s/kube-version.ts';

/** The version reported when none is configured. */
export const DEFAULT_KUBE_VERSION = '1.31.0';

/** The `/version` fields of a simulated version (`1.31.0`). */
export function versionInfo(version: string): { major: string; minor: string; gitVersion: string } {
  const v = parseKubeVersion(version);
  if (!v) throw new RangeError(`not a Kubernetes version: ${JSON.stringify(version)}`);
  return { major: String(v.major), minor: String(v.minor), gitVersion: `v${version}${SIM_VERSION_SUFFIX}` };
}

/** The API fields this simulator models by version (default feature gates). */
export interface ApiFeatures {
  /** A Job keeps `backoffLimitPerIndex` and `maxFailedIndexes` (JobBackoffLimitPerIndex on: 1.29+). */
  jobBackoffLimitPerIndex: boolean;
}

/** What a cluster of `version` keeps, with its default feature gates. */
export function featuresOf(version: string): ApiFeatures {
  const v = parseKubeVersion(version);
  return { jobBackoffLimitPerIndex: v === null || atLeast(v, 1, 29) };
}

/** Every feature on (the default version's). */
export const ALL_FEATURES: ApiFeatures = featuresOf(DEFAULT_KUBE_VERSION);
