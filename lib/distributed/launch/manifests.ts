/**
 * The objects of one launch, as lib/distributed/README.md specifies them: ConfigMaps `N-env` (settings, for
 * envFrom) and `N-files` (config.yaml, targets.yaml), Secret `N-secrets` (optional), Service
 * `N-coord` (pod 0's coordinator), the Indexed Job `N`, and with `--results-pvc` the pod
 * `N-collect` that reads the results back. Pure: the caller creates them in this order and fills
 * in the Service's clusterIP before building the Job.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { Manifest } from '../../k8s/template.ts';
import { RUN_LABEL } from '../../k8s/template.ts';
import { packagePath } from '../../package/paths.ts';
import { CONTAINER, COORDINATOR_PORT, FILES_MOUNT, POD_LOCAL_RESULTS, RESULTS_MOUNT, type LaunchNames } from './names.ts';

/** Label the Job controller sets on its pods: the Job's name. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** Label (and annotation) the Job controller sets on an Indexed Job's pods: the completion index. */
export const COMPLETION_INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';
/** Label of the launch's own helper pods (`collect`: the claim reader), beside the run label. */
export const ROLE_LABEL = 'vitest-llm-d/role';

function meta(names: LaunchNames, name: string): Manifest['metadata'] {
  return { name, labels: { [RUN_LABEL]: names.run } };
}

/** ConfigMap `N-env`: the `BENCH_*` settings as keys (the pods read them with envFrom). */
export function envConfigMap(names: LaunchNames, settings: Record<string, string>): Manifest {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names, names.envConfigMap), data: { ...settings } };
}

/** ConfigMap `N-files`: `config.yaml` (and `targets.yaml` when one is in use), mounted at /etc/vitest-llm-d. */
export function filesConfigMap(names: LaunchNames, configYaml: string, targetsYaml: string | null): Manifest {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names, names.filesConfigMap), data: { 'config.yaml': configYaml, ...(targetsYaml ? { 'targets.yaml': targetsYaml } : {}) } };
}

/** Secret `N-secrets` (Opaque, stringData), or null when the caller has set no secret-looking variable. */
export function secretsSecret(names: LaunchNames, secrets: Record<string, string>): Manifest | null {
  if (Object.keys(secrets).length === 0) return null;
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(names, names.secret), type: 'Opaque', stringData: { ...secrets } };
}

/** Service `N-coord`: ClusterIP, port 7070, selecting pod 0 of the Job. */
export function coordinatorService(names: LaunchNames): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(names, names.service),
    spec: {
      type: 'ClusterIP',
      selector: { [JOB_NAME_LABEL]: names.job, [COMPLETION_INDEX_LABEL]: '0' },
      ports: [{ name: 'coordinator', protocol: 'TCP', port: COORDINATOR_PORT, targetPort: COORDINATOR_PORT }],
    },
  };
}

/** What the Job needs besides the names. */
export interface JobInput {
  parallelism: number;
  image: string;
  testFiles: string[];
  /** Options for vitest in the pods (after `--`). */
  vitestArgs: string[];
  /** `activeDeadlineSeconds`, in the cluster's seconds. */
  activeDeadlineSeconds: number;
  /** The clusterIP of `N-coord`. */
  coordinatorIp: string;
  /** `--results-pvc`. */
  resultsPvc?: string;
  /** The `vitest-llm-d` command's script in the image's `/app` ({@link harnessScript}); default `bin/vitest-llm-d.js`. */
  script?: string;
}

/**
 * The `vitest-llm-d` command's script relative to the project folder `cwd`, which the image's
 * `/app` (and the embedded cluster's pods) reproduce: `bin/vitest-llm-d.js` in a clone of this
 * repository, `node_modules/vitest-llm-d/bin/vitest-llm-d.js` in a project that installed the
 * package. Pods run it with node directly, so pod-run is PID 1 and gets SIGTERM.
 */
export function harnessScript(cwd: string): string {
  const rel = relative(cwd, packagePath('bin/vitest-llm-d.js')).split(sep).join('/');
  return rel.startsWith('../') || isAbsolute(rel) ? DEFAULT_SCRIPT : rel;
}

const DEFAULT_SCRIPT = 'bin/vitest-llm-d.js';

const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });

/** The Indexed Job `N`: P completions, P at once, no retry of a failed index. */
export function indexedJob(names: LaunchNames, input: JobInput): Manifest {
  const env: Array<Record<string, unknown>> = [];
  if (input.resultsPvc) {
    // Set here, first, with the Job controller's own definition (it then adds none), so that
    // BENCH_RESULTS_DIR below can expand $(JOB_COMPLETION_INDEX): Kubernetes expands only
    // variables defined earlier in the list, and the controller appends its own at the end.
    env.push({ name: 'JOB_COMPLETION_INDEX', ...fieldRef(`metadata.annotations['${COMPLETION_INDEX_LABEL}']`) });
  }
  env.push(
    { name: 'BENCH_PARALLELISM', value: String(input.parallelism) },
    { name: 'BENCH_RUN_ID', value: names.run },
    // The run's stamp, so every pod has the same seed salt and run folder name (as the merge run).
    { name: 'BENCH_RUN_STAMP', value: names.stamp },
    { name: 'BENCH_COORDINATOR', value: `http://${input.coordinatorIp}:${COORDINATOR_PORT}` },
    { name: 'BENCH_COORDINATOR_PORT', value: String(COORDINATOR_PORT) },
    { name: 'POD_NAME', ...fieldRef('metadata.name') },
    { name: 'NODE_NAME', ...fieldRef('spec.nodeName') },
    { name: 'POD_IP', ...fieldRef('status.podIP') },
    { name: 'BENCH_RERUN', value: FILES_MOUNT },
    { name: 'BENCH_RESULTS_DIR', value: input.resultsPvc ? `${RESULTS_MOUNT}/${names.run}/pods/$(JOB_COMPLETION_INDEX)` : POD_LOCAL_RESULTS },
    // With a claim the results stay there and N-collect reads them back; else they leave through the log.
    { name: 'BENCH_LAUNCH_STREAM', value: input.resultsPvc ? '0' : '1' },
  );
  const volumeMounts: Array<Record<string, unknown>> = [{ name: 'files', mountPath: FILES_MOUNT, readOnly: true }];
  const volumes: Array<Record<string, unknown>> = [{ name: 'files', configMap: { name: names.filesConfigMap } }];
  if (input.resultsPvc) {
    volumeMounts.push({ name: 'results', mountPath: RESULTS_MOUNT });
    volumes.push({ name: 'results', persistentVolumeClaim: { claimName: input.resultsPvc } });
  }
  // node as PID 1 is pod-run itself (no npm in between), which passes SIGTERM on to vitest.
  const command = ['node', input.script ?? DEFAULT_SCRIPT, 'pod-run', ...input.testFiles, ...(input.vitestArgs.length ? ['--', ...input.vitestArgs] : [])];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(names, names.job),
    spec: {
      completionMode: 'Indexed',
      completions: input.parallelism,
      parallelism: input.parallelism,
      backoffLimitPerIndex: 0,
      activeDeadlineSeconds: input.activeDeadlineSeconds,
      template: {
        metadata: { labels: { [RUN_LABEL]: names.run } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: CONTAINER,
              image: input.image,
              workingDir: '/app',
              command,
              env,
              envFrom: [{ configMapRef: { name: names.envConfigMap } }, { secretRef: { name: names.secret, optional: true } }],
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}

/** What the claim reader needs besides the names. */
export interface ReaderInput {
  image: string;
  /** `--results-pvc`. */
  resultsPvc: string;
  /** `activeDeadlineSeconds`, in the cluster's seconds. */
  activeDeadlineSeconds: number;
  /** As {@link JobInput.script}. */
  script?: string;
}

/**
 * Pod `N-collect`: mounts `--results-pvc` read-only at /results and writes `/results/R` (every
 * pod's folder, `pods/<index>/...`) to its log as frames (`vitest-llm-d pod-export`), then exits.
 * Labelled with the run, so the run's cleanup deletes it; the claim and its files stay.
 */
export function claimReaderPod(names: LaunchNames, input: ReaderInput): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: names.collector, labels: { [RUN_LABEL]: names.run, [ROLE_LABEL]: 'collect' } },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: input.activeDeadlineSeconds,
      containers: [
        {
          name: CONTAINER,
          image: input.image,
          workingDir: '/app',
          command: ['node', input.script ?? DEFAULT_SCRIPT, 'pod-export', `${RESULTS_MOUNT}/${names.run}`],
          volumeMounts: [{ name: 'results', mountPath: RESULTS_MOUNT, readOnly: true }],
        },
      ],
      volumes: [{ name: 'results', persistentVolumeClaim: { claimName: input.resultsPvc, readOnly: true } }],
    },
  };
}
