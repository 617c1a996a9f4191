/*
 * Indexed Jobs whose pods are real child processes (harness image), through the real
 * @kubernetes/client-node: BatchV1Api, CoreV1Api, Log with follow.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BatchV1Api, Log, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { openSim, type SimHarness } from './sim-harness.ts';

let h: SimHarness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const IMAGE = 'vitest-llm-d:test';

function indexedJob(name: string, script: string, extra: { spec?: Record<string, unknown>; pod?: Record<string, unknown>; container?: Record<string, unknown> } = {}): V1Job {
  return {
    metadata: { name },
    spec: {
      completionMode: 'Indexed',
      completions: 3,
      parallelism: 3,
      ...extra.spec,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'vitest-llm-d', image: IMAGE, workingDir: '/app', command: ['node', '-e', script], ...extra.container }],
          ...extra.pod,
        },
      },
    },
  } as V1Job;
}

async function podsOf(s: SimHarness, job: string): Promise<V1Pod[]> {
  return (await s.core.listNamespacedPod({ namespace: s.ns, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
}

function condition(job: V1Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('batch/v1 Jobs with harness pods', () => {
  it('runs an Indexed Job of 3 as real processes: env, volumes, PVC, logs (followed), completedIndexes', async () => {
    const pvRoot = mkdtempSync(join(tmpdir(), 'jobs-pv-'));
    dirs.push(pvRoot);
    h = await openSim({ pvRoot });
    const s = h;
    const batch = s.kc.makeApiClient(BatchV1Api);
    await s.core.createNamespacedConfigMap({ namespace: s.ns, body: { metadata: { name: 'settings' }, data: { MODE: 'fast', 'config.yaml': 'answer: 42\n' } } });
    await s.core.createNamespacedSecret({ namespace: s.ns, body: { metadata: { name: 'creds' }, data: { TOKEN: Buffer.from('s3cr3t').toString('base64') } } });
    await s.core.createNamespacedPersistentVolumeClaim({ namespace: s.ns, body: { metadata: { name: 'results' }, spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } } } });
    const script = [
      "const fs = require('fs');",
      "const i = process.env.JOB_COMPLETION_INDEX;",
      "console.log('index=' + i + ' pod=' + process.env.POD_NAME + ' mode=' + process.env.MODE + ' token=' + process.env.TOKEN + ' cfg=' + process.env.CFG_MODE);",
      "console.log('file=' + fs.readFileSync('/etc/vitest-llm-d/config.yaml', 'utf8').trim());",
      "fs.mkdirSync('/results/run/' + i, { recursive: true });",
      "fs.writeFileSync('/results/run/' + i + '/pod.json', JSON.stringify({ index: Number(i), host: process.env.HOSTNAME, cwd: process.cwd() }));",
      "setTimeout(() => console.error('done ' + i), 1000);",
    ].join('\n');
    const job = indexedJob('bench', script, {
      spec: { backoffLimitPerIndex: 0 },
      container: {
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'TOKEN' } } },
          { name: 'MISSING', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
        ],
        envFrom: [{ configMapRef: { name: 'settings' } }, { configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
        volumeMounts: [
          { name: 'files', mountPath: '/etc/vitest-llm-d' },
          { name: 'results', mountPath: '/results' },
        ],
      },
      pod: { volumes: [{ name: 'files', configMap: { name: 'settings', items: [{ key: 'config.yaml', path: 'config.yaml' }] } }, { name: 'results', persistentVolumeClaim: { claimName: 'results' } }] },
    });
    const created = await batch.createNamespacedJob({ namespace: s.ns, body: job });
    expect(created.spec).toMatchObject({ backoffLimit: 2147483647, parallelism: 3, completions: 3, suspend: false, podReplacementPolicy: 'TerminatingOrFailed' });
    expect(created.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': created.metadata!.uid });

    // Follow pod 0's log from as early as it can be followed.
    // (A loaded machine may only see it after it ended: a follow then answers the whole log and ends.)
    const pod0 = await s.until('pod of index 0 started', async () =>
      (await podsOf(s, 'bench')).find((p) => p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'] === '0' && (p.status?.containerStatuses?.[0]?.state?.running || p.status?.containerStatuses?.[0]?.state?.terminated)),
    );
    const followed = new PassThrough();
    let text = '';
    followed.on('data', (d: Buffer) => void (text += d.toString()));
    const ended = new Promise<void>((resolve) => followed.on('end', () => resolve()));
    await new Log(s.kc).log(s.ns, pod0.metadata!.name!, 'vitest-llm-d', followed, { follow: true });

    const done = await s.until('job Complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'bench', namespace: s.ns });
      return condition(j, 'Complete')?.status === 'True' && j;
    });
    await ended;
    expect(text).toContain('index=0 ');
    expect(text).toContain('done 0\n');
    expect(done.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2', failedIndexes: '', ready: 0, terminating: 0 });
    expect(done.status?.active).toBeUndefined();
    expect(done.status?.completionTime).toBeDefined();
    expect(condition(done, 'SuccessCriteriaMet')).toMatchObject({ status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
    expect(condition(done, 'Complete')).toMatchObject({ status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });

    const pods = await podsOf(s, 'bench');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      const i = p.metadata!.annotations!['batch.kubernetes.io/job-completion-index']!;
      expect(p.metadata!.name).toMatch(new RegExp(`^bench-${i}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata!.labels).toMatchObject({ 'job-name': 'bench', 'batch.kubernetes.io/job-name': 'bench', 'controller-uid': created.metadata!.uid, 'batch.kubernetes.io/job-completion-index': i });
      expect(p.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: 'bench', controller: true })]);
      expect(p.spec!.hostname).toBe(`bench-${i}`);
      expect(p.spec!.containers[0]!.env).toContainEqual(expect.objectContaining({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }));
      expect(p.status?.phase).toBe('Succeeded');
      expect(p.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      const log = await s.core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: s.ns });
      expect(log).toBe(`index=${i} pod=${p.metadata!.name} mode=fast token=s3cr3t cfg=fast\nfile=answer: 42\ndone ${i}\n`);
      const written = JSON.parse(readFileSync(join(s.sim.pvRoot, s.ns, 'results', 'run', i, 'pod.json'), 'utf8'));
      expect(written).toEqual({ index: Number(i), host: `bench-${i}`, cwd: s.sim.harnessRoot });
    }
    expect(s.sim.pvRoot).toBe(pvRoot);
    const pvc = await s.core.readNamespacedPersistentVolumeClaim({ name: 'results', namespace: s.ns });
    expect(pvc.status?.phase).toBe('Bound');
  });

  it('backoffLimitPerIndex 0: a failing index is not retried, the others complete, the Job ends Failed/FailedIndexes', async () => {
    h = await openSim();
    const s = h;
    const batch = s.kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: s.ns, body: indexedJob('flaky', "process.exit(process.env.JOB_COMPLETION_INDEX === '1' ? 3 : 0)", { spec: { backoffLimitPerIndex: 0 } }) });
    const failed = await s.until('job Failed', async () => {
      const j = await batch.readNamespacedJob({ name: 'flaky', namespace: s.ns });
      return condition(j, 'Failed')?.status === 'True' && j;
    });
    expect(failed.status).toMatchObject({ succeeded: 2, failed: 1, completedIndexes: '0,2', failedIndexes: '1' });
    expect(condition(failed, 'FailureTarget')).toMatchObject({ status: 'True', reason: 'FailedIndexes', message: 'Job has failed indexes' });
    expect(condition(failed, 'Failed')).toMatchObject({ status: 'True', reason: 'FailedIndexes', message: 'Job has failed indexes' });
    const pods = await podsOf(s, 'flaky');
    expect(pods).toHaveLength(3);
    const one = pods.find((p) => p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'] === '1')!;
    expect(one.status?.phase).toBe('Failed');
    expect(one.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('retries a failed pod up to backoffLimit, then fails with BackoffLimitExceeded', async () => {
    h = await openSim();
    const s = h;
    const batch = s.kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: s.ns, body: indexedJob('crash', 'process.exit(1)', { spec: { completions: 1, parallelism: 1, backoffLimit: 1 } }) });
    const failed = await s.until('job Failed', async () => {
      const j = await batch.readNamespacedJob({ name: 'crash', namespace: s.ns });
      return condition(j, 'Failed')?.status === 'True' && j;
    });
    expect(condition(failed, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(failed.status?.failed).toBe(2);
    expect(await podsOf(s, 'crash')).toHaveLength(2);
  });

  it('a Job pod with an image that is not the harness (or is listed in missingImages) waits in ImagePullBackOff', async () => {
    h = await openSim({ missingImages: ['registry.example.com/team/vitest-llm-d:missing'] });
    const s = h;
    const batch = s.kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: s.ns, body: indexedJob('pull', 'true', { spec: { completions: 1, parallelism: 1 }, container: { image: 'busybox:1.36' } }) });
    await batch.createNamespacedJob({ namespace: s.ns, body: indexedJob('listed', 'true', { spec: { completions: 1, parallelism: 1 }, container: { image: 'registry.example.com/team/vitest-llm-d:missing' } }) });
    for (const [job, image] of [
      ['pull', 'busybox:1.36'],
      ['listed', 'registry.example.com/team/vitest-llm-d:missing'],
    ] as const) {
      const pod = await s.until(`${job} ImagePullBackOff`, async () => (await podsOf(s, job)).find((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'));
      expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(`Back-off pulling image "${image}"`);
      expect(pod.status?.phase).toBe('Pending');
      const events = (await s.core.listNamespacedEvent({ namespace: s.ns, fieldSelector: `involvedObject.name=${pod.metadata!.name}` })).items;
      expect(events.find((e) => e.reason === 'BackOff')?.message).toBe(`Back-off pulling image "${image}"`);
      const messages = events.filter((e) => e.reason === 'Failed').map((e) => e.message);
      expect(messages).toContain('Error: ErrImagePull');
      expect(messages).toContain('Error: ImagePullBackOff');
    }
    const events = (await s.core.listNamespacedEvent({ namespace: s.ns })).items;
    expect(events.map((e) => e.message)).toContain('Failed to pull image "busybox:1.36": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/busybox:1.36": failed to resolve reference "docker.io/library/busybox:1.36": docker.io/library/busybox:1.36: not found');
  });

  it('POST /sim/evict kills the process: Failed/Evicted, exit code 137, DisruptionTarget', async () => {
    h = await openSim();
    const s = h;
    const batch = s.kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: s.ns, body: indexedJob('sleepy', "console.log('up'); setInterval(() => {}, 1000)", { spec: { completions: 1, parallelism: 1, backoffLimitPerIndex: 0 } }) });
    const pod = await s.until('pod running with a pid', async () => {
      const st = await s.state();
      return st.harness.find((x) => x.pod.startsWith('sleepy-0-'));
    });
    expect(alive(pod.pid)).toBe(true);
    const res = await fetch(`${s.sim.url}/sim/evict?namespace=${s.ns}&name=${pod.pod}`, { method: 'POST' });
    expect(res.status).toBe(200);
    const evicted = await s.pod(pod.pod);
    expect(evicted.status).toMatchObject({ phase: 'Failed', reason: 'Evicted' });
    expect(evicted.status?.message).toMatch(/^The node was low on resource: memory\. Threshold quantity: 100Mi, available: \d+Ki\. Container vitest-llm-d was using \d+Ki, request is 0, has larger consumption of memory\. $/);
    expect(evicted.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'TerminationByKubelet' });
    expect(alive(pod.pid)).toBe(false);
    expect((await s.state()).harness).toEqual([]);
    const job = await s.until('job Failed', async () => {
      const j = await batch.readNamespacedJob({ name: 'sleepy', namespace: s.ns });
      return condition(j, 'Failed')?.status === 'True' && j;
    });
    expect(job.status).toMatchObject({ failed: 1, failedIndexes: '0' });
  });

  it('deleting a Job (Background) removes its pods and kills their processes', async () => {
    h = await openSim();
    const s = h;
    const batch = s.kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: s.ns, body: indexedJob('gone', 'setInterval(() => {}, 1000)', { spec: { completions: 2, parallelism: 2 } }) });
    const procs = await s.until('two processes', async () => {
      const st = await s.state();
      return st.harness.length === 2 && st.harness;
    });
    await batch.deleteNamespacedJob({ name: 'gone', namespace: s.ns, propagationPolicy: 'Background' });
    await s.until('pods gone', async () => (await podsOf(s, 'gone')).length === 0);
    for (const p of procs) expect(alive(p.pid)).toBe(false);
  });

  it('activeDeadlineSeconds: DeadlineExceeded, active pods deleted and their processes killed', async () => {
    h = await openSim();
    const s = h;
    const batch = s.kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: s.ns, body: indexedJob('slow', 'setInterval(() => {}, 1000)', { spec: { completions: 1, parallelism: 1, activeDeadlineSeconds: 30 } }) });
    const pid = (await s.until('process', async () => (await s.state()).harness[0])).pid;
    const failed = await s.until('job Failed', async () => {
      const j = await batch.readNamespacedJob({ name: 'slow', namespace: s.ns });
      return condition(j, 'Failed')?.status === 'True' && j;
    });
    expect(condition(failed, 'FailureTarget')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(condition(failed, 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(Date.parse(condition(failed, 'Failed')!.lastTransitionTime as unknown as string) - Date.parse(failed.status!.startTime as unknown as string)).toBeGreaterThanOrEqual(30_000);
    expect(alive(pid)).toBe(false);
    expect(failed.status).toMatchObject({ failed: 1, terminating: 0 });
  });

  it('stands for the Kubernetes version configured: /version says it, and below 1.29 a Job loses backoffLimitPerIndex as with the feature gate off', async () => {
    const cases = [
      { version: '1.28.4', kept: false },
      { version: '1.29.0', kept: true },
    ];
    for (const { version, kept } of cases) {
      h = await openSim({ kubernetesVersion: version });
      const v = (await (await fetch(`${h.sim.url}/version`)).json()) as { major: string; minor: string; gitVersion: string };
      expect(v).toMatchObject({ major: '1', minor: version.split('.')[1], gitVersion: `v${version}-vitest-llm-d-sim` });
      const batch = h.kc.makeApiClient(BatchV1Api);
      const job = await batch.createNamespacedJob({ namespace: h.ns, body: indexedJob('per-index', 'process.exit(0)', { spec: { backoffLimitPerIndex: 0, maxFailedIndexes: 1, suspend: true } }) });
      if (kept) expect(job.spec).toMatchObject({ backoffLimitPerIndex: 0, maxFailedIndexes: 1, backoffLimit: 2147483647 });
      else {
        expect(job.spec!.backoffLimitPerIndex, version).toBeUndefined();
        expect(job.spec!.maxFailedIndexes, version).toBeUndefined();
        expect(job.spec!.backoffLimit, version).toBe(6);
      }
      await h.close();
      h = undefined;
    }
  });

  it('validates Jobs with the API server messages; a missing claim or config leaves the pod waiting', async () => {
    h = await openSim();
    const s = h;
    const batch = s.kc.makeApiClient(BatchV1Api);
    const bad = indexedJob('bad', 'true');
    (bad.spec!.template.spec as { restartPolicy?: string }).restartPolicy = undefined;
    bad.spec!.parallelism = -1;
    const err = await batch.createNamespacedJob({ namespace: s.ns, body: bad }).catch((e: { code?: number; body?: string }) => e);
    expect((err as { code?: number }).code).toBe(422);
    expect(JSON.parse((err as { body: string }).body).message).toBe(
      'Job.batch "bad" is invalid: [spec.parallelism: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"]',
    );
    await batch.createNamespacedJob({
      namespace: s.ns,
      body: indexedJob('noclaim', 'true', { spec: { completions: 1, parallelism: 1 }, container: { volumeMounts: [{ name: 'r', mountPath: '/results' }] }, pod: { volumes: [{ name: 'r', persistentVolumeClaim: { claimName: 'data' } }] } }),
    });
    const pending = await s.until('unschedulable', async () => (await podsOf(s, 'noclaim')).find((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')));
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toBe('0/2 nodes are available: persistentvolumeclaim "data" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
    await batch.createNamespacedJob({ namespace: s.ns, body: indexedJob('nocm', 'true', { spec: { completions: 1, parallelism: 1 }, container: { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }] } }) });
    const waiting = await s.until('config error', async () => (await podsOf(s, 'nocm')).find((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError'));
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe('configmap "x" not found');
    // Once the claim exists the pod is scheduled and runs to completion.
    await s.core.createNamespacedPersistentVolumeClaim({ namespace: s.ns, body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } });
    await s.until('noclaim Complete', async () => condition(await batch.readNamespacedJob({ name: 'noclaim', namespace: s.ns }), 'Complete')?.status === 'True');
    expect(existsSync(join(s.sim.pvRoot, s.ns, 'data'))).toBe(true);
  });
});
