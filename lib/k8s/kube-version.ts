/**
 * Kubernetes versions as `/version` reports them (`gitVersion`), and the suffix by which the
 * embedded cluster simulator tells itself apart from a real cluster. Imports nothing: the
 * cluster simulator uses it too (it reports its version with that suffix), so there is one owner.
 */

/** What the simulator appends to its `gitVersion`, so a client can tell it from a real cluster. */
export const SIM_VERSION_SUFFIX = '-vitest-llm-d-sim';

/** Major and minor of a `gitVersion` (`v1.27.3-eks-2c1c0b4`, `1.31.0`), or null when it has none. */
export function parseKubeVersion(gitVersion: string): { major: number; minor: number } | null {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?/.exec(gitVersion);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

/** Whether `v` is at least major.minor. */
export function atLeast(v: { major: number; minor: number }, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}
