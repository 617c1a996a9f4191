/**
 * `vitest-llm-d launch`, end to end: resolve and check the split (nothing created on failure),
 * reach the cluster (or start the embedded one), check permissions, start the shared simulator
 * target when none is configured, create the run's objects (labelled `vitest-llm-d/run=R`),
 * follow the Job, collect each pod's results (from its log; with `--results-pvc` from the claim,
 * through the reader pod of collect-claim.ts), write the launch records, clean up
 * (always, Ctrl-C included), and run the merge. Resolves to the process exit code.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPermissions, type Permission } from '../../k8s/connect.ts';
import { cleanupOnSignal, deleteRun } from '../../k8s/cleanup.ts';
import { BenchError } from '../../errors/bench-error.ts';
import { createObject } from '../../k8s/objects.ts';
import { apiStatus, clusterError } from '../../k8s/errors.ts';
import { RUN_LABEL, type Manifest } from '../../k8s/template.ts';
import { secretValues } from '../../run-folder/environment.ts';
import { createRunInfo } from '../../report/run-info.ts';
import type { LaunchArgs } from './args.ts';
import { droppedPerIndexLimit, openLaunchCluster, requireIndexedJobSupport, type LaunchCluster } from './cluster.ts';
import { LaunchError, LaunchUsageError } from './errors.ts';
import { readClaim } from './collect-claim.ts';
import { followJob, type FollowResult } from './follow-job.ts';
import { coordinatorService, envConfigMap, filesConfigMap, harnessScript, indexedJob, secretsSecret } from './manifests.ts';
import { launchNames } from './names.ts';
import { startFailureMessage, type PodView } from './pod-status.ts';
import { resolveLaunchConfig } from './resolve-config.ts';
import type { LaunchSimulators } from './simulators.ts';
import { openLaunchTarget, selectLaunchTarget, type LaunchTarget } from './target.ts';

/** The kinds a launch creates, in deletion order (Job before its pods). */
export const LAUNCH_KINDS = ['Job', 'Service', 'ConfigMap', 'Secret', 'Pod'] as const;

export interface LaunchRunOptions {
  args: LaunchArgs;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Output lines (already prefixed); stderr in the CLI. */
  say(line: string): void;
  now?: Date;
  /** Longest wait for a finished pod's log, ms (tests shorten it). */
  logGraceMs?: number;
  /** Starts the embedded cluster and vLLM simulators when nothing is configured. */
  simulators?: LaunchSimulators;
}

/** Longest wait for the claim reader (`N-collect`) to send the results back, s. */
const CLAIM_READ_TIMEOUT_S = 600;

/**
 * The claim's access modes against the pods that mount it (the Job's P pods, then the reader):
 * ReadWriteOncePod admits one pod only, so it is refused before anything is created; with
 * ReadWriteOnce alone, pods on different nodes cannot mount it at once, which is said.
 */
function claimAccess(claim: string, modes: readonly string[], parallelism: number, say: (line: string) => void): void {
  if (modes.length === 0 || modes.includes('ReadWriteMany')) return;
  if (!modes.includes('ReadWriteOnce')) {
    throw new LaunchUsageError(`--results-pvc: PersistentVolumeClaim ${claim} is ${modes.join(', ')}: the run's ${parallelism} pod${parallelism === 1 ? '' : 's'} cannot all mount it for writing beside its reader pod (use a ReadWriteMany claim, or none: results then come back through the pods' logs)`);
  }
  if (parallelism > 1) say(`--results-pvc: PersistentVolumeClaim ${claim} is ReadWriteOnce: pods scheduled on different nodes cannot mount it at once (a ReadWriteMany claim avoids that)`);
}

/** What a launch needs to be allowed to do in its namespace. */
function permissions(hasSecret: boolean, pvc: boolean): Permission[] {
  const p: Permission[] = [
    { verb: 'create', resource: 'configmaps' },
    { verb: 'create', resource: 'services' },
    { verb: 'get', resource: 'services' },
    { verb: 'create', resource: 'jobs', group: 'batch' },
    { verb: 'watch', resource: 'jobs', group: 'batch' },
    { verb: 'list', resource: 'pods' },
    { verb: 'watch', resource: 'pods' },
    { verb: 'get', resource: 'pods', subresource: 'log' },
  ];
  if (hasSecret) p.push({ verb: 'create', resource: 'secrets' });
  // With a claim: read it, and create the pod that reads the results back from it.
  if (pvc) p.push({ verb: 'get', resource: 'persistentvolumeclaims' }, { verb: 'create', resource: 'pods' });
  for (const kind of ['jobs', 'services', 'configmaps', ...(hasSecret ? ['secrets'] : []), 'pods']) {
    const group = kind === 'jobs' ? 'batch' : undefined;
    p.push({ verb: 'list', resource: kind, ...(group ? { group } : {}) }, { verb: 'delete', resource: kind, ...(group ? { group } : {}) });
  }
  return p;
}

/** `pods/<index>/launch.json`: what the launcher saw of one index. */
function podRecord(index: number, v: PodView | undefined, end: FollowResult['end'] | null, waitTimeoutS: number): Record<string, unknown> {
  let reason = v?.reason ?? null;
  let message = v?.message ?? null;
  if (!v?.terminal) {
    if (end?.kind === 'timeout') [reason, message] = ['WaitTimeout', `the launch stopped waiting after ${waitTimeoutS} s`];
    else if (end?.kind === 'job-failed') [reason, message] = [end.reason, end.message];
    else if (end?.kind === 'stopped') [reason, message] = ['Interrupted', 'the launch was interrupted'];
    else if (end?.kind === 'start-failure') [reason, message] = [end.view.startFailure!.reason, end.view.startFailure!.message];
    else if (!v) [reason, message] = ['NotCreated', 'no pod of this index was seen'];
  }
  return { format: 'vitest-llm-d/launch-pod@1', index, pod: v?.name ?? null, node: v?.node ?? null, phase: v?.phase ?? null, reason, message, exitCode: v?.exitCode ?? null };
}

/** Runs a launch (see the module comment). */
export async function runLaunch(o: LaunchRunOptions): Promise<number> {
  const { args, cwd, env, say } = o;
  const startedAt = (o.now ?? new Date()).toISOString();
  const names = launchNames(args.suite, o.now);
  const resultsDir = createRunInfo(env, cwd).resultsDir;
  const runDir = join(resultsDir, names.run);

  // 1. Everything that can be checked without a cluster: nothing exists yet if this fails.
  const config = resolveLaunchConfig({ testFiles: args.testFiles, suite: args.suite, parallelism: args.parallelism, names, cwd, env });
  for (const s of config.wholeInPodZero) say(`${s}: a search load runs whole in pod 0 (it cannot be split)`);

  let cluster: LaunchCluster | null = null;
  let target: LaunchTarget | null = null;
  let created = false;
  let result: FollowResult | null = null;
  let stopWait!: () => void;
  const stopRequested = new Promise<void>((r) => (stopWait = r));
  let tornDown: Promise<void> | null = null;
  const writeRecords = (outcome: string): void => {
    if (!created) return;
    const missing: number[] = [];
    for (let i = 0; i < args.parallelism; i++) {
      const dir = join(runDir, 'pods', String(i));
      mkdirSync(dir, { recursive: true });
      const v = result?.byIndex.get(i);
      const frames = v ? result?.collectors.get(v.name)?.report : undefined;
      const transfer = frames ? { files: frames.files.length, complete: frames.complete, problems: [...frames.errors, ...frames.incomplete.map((f) => `${f}: cut off`)] } : null;
      writeFileSync(join(dir, 'launch.json'), `${JSON.stringify({ ...podRecord(i, v, result?.end ?? null, args.waitTimeoutS), transfer }, null, 2)}\n`);
      if (!existsSync(join(dir, 'pod.json'))) missing.push(i);
    }
    const record = {
      format: 'vitest-llm-d/launch@1', run: names.run, suite: args.suite, parallelism: args.parallelism, namespace: cluster!.conn.namespace, image: args.image,
      job: names.job, testFiles: args.testFiles, cluster: { kind: cluster!.kind, context: cluster!.conn.context }, startedAt, endedAt: new Date().toISOString(), outcome, missing,
    };
    writeFileSync(join(runDir, 'launch.json'), `${JSON.stringify(record, null, 2)}\n`);
  };
  const teardown = (): Promise<void> =>
    (tornDown ??= (async () => {
      stopWait();
      if (cluster && created) {
        const cleanup = await deleteRun(cluster.conn, names.run, cluster.conn.time.toRealMs(60_000) + 10_000, LAUNCH_KINDS);
        for (const e of cleanup.errors) say(`cleanup: ${e}`);
        say(cleanup.leftovers.length ? `cleanup: still present: ${cleanup.leftovers.join(', ')}` : `cleanup: deleted ${cleanup.deleted.length} objects of run ${names.run}; nothing left`);
      }
      await target?.stop();
      if (cluster?.sim) say('stopped the embedded cluster simulator');
      await cluster?.close();
    })());
  const hook = cleanupOnSignal(async () => {
    stopWait();
    writeRecords('interrupted');
    await teardown();
  });
  let code: number;
  try {
    cluster = await openLaunchCluster({ namespace: args.namespace, env, cwd, say, startClusterSimulator: o.simulators?.startClusterSimulator });
    const { conn } = cluster;
    requireIndexedJobSupport(conn);
    selectLaunchTarget({ cwd, env, cluster: cluster.kind });
    const secret = secretsSecret(names, config.secrets);
    await checkPermissions(conn, permissions(secret !== null, args.resultsPvc !== undefined));
    if (args.resultsPvc) {
      try {
        // Read only: a run never creates, lists for cleanup or deletes the user's results claim.
        const claim = await conn.core.readNamespacedPersistentVolumeClaim({ namespace: conn.namespace, name: args.resultsPvc });
        claimAccess(args.resultsPvc, claim.spec?.accessModes ?? [], args.parallelism, say);
      } catch (err) {
        if (err instanceof LaunchUsageError) throw err;
        if (apiStatus(err) === 404) throw new LaunchUsageError(`--results-pvc: no PersistentVolumeClaim "${args.resultsPvc}" in namespace ${conn.namespace} on ${conn.server}`);
        throw clusterError('CLUSTER_READ', `reading PersistentVolumeClaim ${args.resultsPvc}`, `in namespace ${conn.namespace} on ${conn.server}`, err);
      }
    }
    target = await openLaunchTarget({ cwd, env, cluster: cluster.kind, files: config.files, startSimulator: o.simulators?.startSimulator });
    say(`run ${names.run}: ${args.parallelism} pods of ${args.image} in namespace ${conn.namespace} (${cluster.kind === 'simulator' ? 'embedded cluster simulator' : `context ${conn.context}`}); target: ${target.description}`);
    // 2. Create, labelled with the run: settings, files, secret, the coordinator's Service, then the Job.
    created = true;
    const create = async (m: Manifest): Promise<Manifest> => (await createObject(conn, m, RUN_LABEL)).object;
    await create(envConfigMap(names, { ...config.settings, ...target.settings }));
    await create(filesConfigMap(names, config.configYaml, config.targetsYaml));
    if (secret) await create(secret);
    const svc = await create(coordinatorService(names));
    const clusterIp = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP;
    if (!clusterIp || clusterIp === 'None') throw new LaunchError('LAUNCH_SERVICE', `Service ${names.service} got no clusterIP in namespace ${conn.namespace} on ${conn.server}`);
    const job = await create(indexedJob(names, {
      parallelism: args.parallelism, image: args.image, testFiles: args.testFiles, vitestArgs: args.vitestArgs, script: harnessScript(cwd),
      activeDeadlineSeconds: Math.ceil(args.waitTimeoutS / cluster.timeScale), coordinatorIp: clusterIp, ...(args.resultsPvc ? { resultsPvc: args.resultsPvc } : {}),
    }));
    const dropped = droppedPerIndexLimit(job, conn);
    if (dropped) throw new LaunchError('LAUNCH_JOB_FEATURES', dropped);
    say(`created Job ${names.job} (${args.parallelism} indexes), Service ${names.service} (${clusterIp}:7070), ConfigMaps ${names.envConfigMap}, ${names.filesConfigMap}${secret ? `, Secret ${names.secret} (${Object.keys(config.secrets).length} variables)` : ''}`);
    // 3. Follow and collect.
    const secrets = [...Object.values(config.secrets), ...secretValues(env)];
    result = await followJob({
      conn, run: names.run, job: names.job, parallelism: args.parallelism, runDir,
      secrets, waitTimeoutMs: args.waitTimeoutS * 1000, say, stop: stopRequested,
      ...(o.logGraceMs !== undefined ? { logGraceMs: o.logGraceMs } : {}),
    });
    const end = result.end;
    // A file that arrived damaged is dropped: said here; the merge falls back on the pod's stats line.
    for (const [i, v] of result.byIndex) {
      // A pod still running when the wait ended never sent its frames: its share is named missing below.
      if (!v.terminal) continue;
      const frames = result.collectors.get(v.name)?.report;
      for (const problem of frames ? [...frames.errors, ...frames.incomplete.map((f) => `${f}: cut off`)] : []) say(`pod ${i} (${v.name}): results from its log: ${problem}`);
    }
    if (end.kind === 'start-failure') {
      writeRecords('start-failure');
      throw new LaunchError('LAUNCH_IMAGE', startFailureMessage(end.view));
    }
    if (end.kind === 'stopped') {
      // Ctrl-C / SIGTERM: the signal hook writes the records, cleans up and exits.
      await teardown();
      return 130;
    }
    if (end.kind === 'timeout') say(`wait timeout: stopped waiting after ${args.waitTimeoutS} s; what finished is kept`);
    if (end.kind === 'job-failed') say(`Job ${names.job} failed: ${end.reason}${end.message ? ` (${end.message})` : ''}`);
    if (args.resultsPvc) {
      say(`reading the results back from PersistentVolumeClaim ${args.resultsPvc} (pod ${names.collector})`);
      const read = await readClaim({
        conn, names, image: args.image, claim: args.resultsPvc, runDir, secrets, stop: stopRequested, script: harnessScript(cwd),
        timeoutMs: CLAIM_READ_TIMEOUT_S * 1000, activeDeadlineSeconds: Math.ceil(CLAIM_READ_TIMEOUT_S / cluster.timeScale),
        ...(o.logGraceMs !== undefined ? { logGraceMs: o.logGraceMs } : {}),
      });
      say(read.problem ? `results from the claim: ${read.problem}` : `read ${read.files} files of ${names.run}/ back from PersistentVolumeClaim ${args.resultsPvc}`);
    }
    writeRecords(end.kind === 'done' ? 'done' : end.kind);
  } catch (err) {
    hook.release();
    // The reason first, then the cleanup's lines.
    if (err instanceof BenchError) say(err.message);
    await teardown();
    if (err instanceof LaunchUsageError) return 2;
    if (err instanceof BenchError) return 1;
    throw err;
  }
  hook.release();
  await teardown();
  // 4. Merge what was collected.
  const missing = [...Array(args.parallelism).keys()].filter((i) => !existsSync(join(runDir, 'pods', String(i), 'pod.json')));
  if (missing.length === args.parallelism) {
    say(`no pod's results were collected (${runDir}/pods/<index>/pod.log has what each pod printed): nothing to merge`);
    return 1;
  }
  if (missing.length) {
    const why = missing.map((i) => {
      const v = result?.byIndex.get(i);
      return `pod ${i}${v ? ` (${v.phase}${v.reason ? `: ${v.reason}` : ''})` : ' (never ran)'}`;
    });
    say(`missing shares: ${why.join(', ')}; the merged report says so`);
  }
  say(`merging ${args.parallelism - missing.length} of ${args.parallelism} shares into ${runDir}`);
  code = await merge({ runDir, testFiles: args.testFiles, env, cwd, vitestArgs: args.vitestArgs }, say);
  say(`${code === 0 ? 'passed' : 'failed'} (exit code ${code}); run folder ${runDir}`);
  return code;
}

/** `runMerged` of lib/distributed/merge-run.ts, loaded when needed. */
async function merge(input: { runDir: string; testFiles: string[]; env: NodeJS.ProcessEnv; cwd: string; vitestArgs: string[] }, say: (line: string) => void): Promise<number> {
  let runMerged: (i: typeof input) => Promise<number>;
  try {
    ({ runMerged } = await import('../merge-run.ts'));
  } catch (err) {
    say(`the merge is not available in this installation (lib/distributed/merge-run.ts: ${(err as Error).message.split('\n')[0]}); the pods' results are in ${input.runDir}/pods/`);
    return 1;
  }
  try {
    return await runMerged(input);
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    say(err.message);
    return 2;
  }
}
