/**
 * The names of one launch (lib/distributed/README.md, "Names"): the run id `R` that labels every object and
 * names the results folder, and the object name base `N` of the Job, ConfigMaps, Secret and
 * Service.
 */
import { createRunInfo } from '../../report/run-info.ts';

/** Port of the coordinator (pod 0) and of its Service. */
export const COORDINATOR_PORT = 7070;
/** Where the `N-files` ConfigMap is mounted in the pods (`BENCH_RERUN` points here). */
export const FILES_MOUNT = '/etc/vitest-llm-d';
/** Where `--results-pvc` is mounted in the pods. */
export const RESULTS_MOUNT = '/results';
/** The pods' results folder without a PVC. */
export const POD_LOCAL_RESULTS = '/tmp/results';
/** The one container of a harness pod. */
export const CONTAINER = 'vitest-llm-d';

/** The names of one launch. */
export interface LaunchNames {
  /** Run id: `<UTC stamp>-<suite>`, also the label value and the results folder name. */
  run: string;
  /** The UTC stamp (`2026-12-06T19-00-00Z`). */
  stamp: string;
  /** Object name base `llmd-<suite>-<yyyymmddhhmmss>` (DNS-1123 label, <= 40 characters). */
  base: string;
  job: string;
  envConfigMap: string;
  filesConfigMap: string;
  secret: string;
  service: string;
  /** Pod `N-collect`: reads the results back from `--results-pvc` once the Job's pods are done. */
  collector: string;
}

/** The suite name as a DNS-1123 label part: lower case, other characters to `-`, at most `max` long. */
function dnsPart(text: string, max: number): string {
  const s = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
  return s || 'suite';
}

/** The names of a launch of `suite` started at `now`. */
export function launchNames(suite: string, now = new Date()): LaunchNames {
  const { stamp } = createRunInfo({}, '/', now);
  const digits = stamp.replace(/\D/g, '').slice(0, 14);
  // 'llmd-' + suite + '-' + 14 digits <= 40.
  const base = `llmd-${dnsPart(suite, 40 - 5 - 1 - 14)}-${digits}`;
  return {
    run: `${stamp}-${suite}`,
    stamp,
    base,
    job: base,
    envConfigMap: `${base}-env`,
    filesConfigMap: `${base}-files`,
    secret: `${base}-secrets`,
    service: `${base}-coord`,
    collector: `${base}-collect`,
  };
}
