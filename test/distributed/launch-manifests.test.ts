import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadScenarioFile } from '../../lib/config/resolve-scenarios.ts';
import { claimReaderPod, coordinatorService, envConfigMap, filesConfigMap, harnessScript, indexedJob, secretsSecret } from '../../lib/distributed/launch/manifests.ts';
import { launchNames } from '../../lib/distributed/launch/names.ts';
import { podView, startFailureMessage, statusLine, type JobPod } from '../../lib/distributed/launch/pod-status.ts';
import { resolveLaunchConfig } from '../../lib/distributed/launch/resolve-config.ts';
import { readResolvedConfig } from '../../lib/config/rerun.ts';

const cwd = process.cwd();
const names = launchNames('dist', new Date('2026-12-06T19:00:00Z'));
const DIST = 'test/distributed/suites/dist/dist.suite.ts';
const LABEL = { 'vitest-llm-d/run': '2026-12-06T19-00-00Z-dist' };

describe('launch manifests', () => {
  const job = (pvc?: string) =>
    indexedJob(names, { parallelism: 4, image: 'vitest-llm-d:0.1.0', testFiles: [DIST], vitestArgs: ['--config', 'x.ts'], activeDeadlineSeconds: 1800, coordinatorIp: '10.96.0.12', ...(pvc ? { resultsPvc: pvc } : {}) });

  test('the Indexed Job as the contract says', () => {
    const j = job() as any;
    expect(j).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'llmd-dist-20261206190000', labels: LABEL } });
    expect(j.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimitPerIndex: 0, activeDeadlineSeconds: 1800 });
    expect(j.spec.template.metadata.labels).toEqual(LABEL);
    const pod = j.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c).toMatchObject({ name: 'vitest-llm-d', image: 'vitest-llm-d:0.1.0', workingDir: '/app', command: ['node', 'bin/vitest-llm-d.js', 'pod-run', DIST, '--', '--config', 'x.ts'] });
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    expect(env).toEqual({
      BENCH_PARALLELISM: '4',
      BENCH_RUN_ID: '2026-12-06T19-00-00Z-dist',
      BENCH_RUN_STAMP: '2026-12-06T19-00-00Z',
      BENCH_COORDINATOR: 'http://10.96.0.12:7070',
      BENCH_COORDINATOR_PORT: '7070',
      POD_NAME: 'metadata.name',
      NODE_NAME: 'spec.nodeName',
      POD_IP: 'status.podIP',
      BENCH_RERUN: '/etc/vitest-llm-d',
      BENCH_RESULTS_DIR: '/tmp/results',
      BENCH_LAUNCH_STREAM: '1',
    });
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'llmd-dist-20261206190000-env' } }, { secretRef: { name: 'llmd-dist-20261206190000-secrets', optional: true } }]);
    expect(c.volumeMounts).toEqual([{ name: 'files', mountPath: '/etc/vitest-llm-d', readOnly: true }]);
    expect(pod.volumes).toEqual([{ name: 'files', configMap: { name: 'llmd-dist-20261206190000-files' } }]);
  });

  test('with --results-pvc: the claim at /results and each pod writing to /results/R/pods/<index>', () => {
    const c = (job('bench-results') as any).spec.template.spec;
    const env = c.containers[0].env;
    // JOB_COMPLETION_INDEX defined before its use, as Kubernetes expands $(VAR) of earlier entries only.
    expect(env[0]).toEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } });
    expect(env.find((e: any) => e.name === 'BENCH_RESULTS_DIR').value).toBe('/results/2026-12-06T19-00-00Z-dist/pods/$(JOB_COMPLETION_INDEX)');
    expect(c.containers[0].volumeMounts).toContainEqual({ name: 'results', mountPath: '/results' });
    expect(c.volumes).toContainEqual({ name: 'results', persistentVolumeClaim: { claimName: 'bench-results' } });
    // The results stay on the claim; the reader pod sends them back, not every pod's log.
    expect(env.find((e: any) => e.name === 'BENCH_LAUNCH_STREAM').value).toBe('0');
  });

  test("the claim reader: the run's folder on the claim, read-only, out through pod-export; labelled with the run", () => {
    const p = claimReaderPod(names, { image: 'reg.example/vitest-llm-d:1', resultsPvc: 'bench-results', activeDeadlineSeconds: 600 }) as any;
    expect(p).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'llmd-dist-20261206190000-collect', labels: { ...LABEL, 'vitest-llm-d/role': 'collect' } } });
    expect(p.spec).toMatchObject({ restartPolicy: 'Never', activeDeadlineSeconds: 600 });
    expect(p.spec.containers).toEqual([{
      name: 'vitest-llm-d', image: 'reg.example/vitest-llm-d:1', workingDir: '/app',
      command: ['node', 'bin/vitest-llm-d.js', 'pod-export', '/results/2026-12-06T19-00-00Z-dist'],
      volumeMounts: [{ name: 'results', mountPath: '/results', readOnly: true }],
    }]);
    expect(p.spec.volumes).toEqual([{ name: 'results', persistentVolumeClaim: { claimName: 'bench-results', readOnly: true } }]);
  });

  test("the pods run the vitest-llm-d script where the project folder has it: a clone's bin/, an installed package's node_modules/", () => {
    expect(harnessScript(cwd)).toBe('bin/vitest-llm-d.js');
    // A project whose package sits in a subfolder (as node_modules/vitest-llm-d does) names it there.
    expect(harnessScript(dirname(cwd))).toBe(`${basename(cwd)}/bin/vitest-llm-d.js`);
    // A package outside the project (a global install) is not in the image's /app: the clone's path.
    expect(harnessScript(join(cwd, 'test'))).toBe('bin/vitest-llm-d.js');
    const pod = (indexedJob(names, { parallelism: 1, image: 'i', testFiles: [DIST], vitestArgs: [], activeDeadlineSeconds: 60, coordinatorIp: '10.96.0.12', script: 'node_modules/vitest-llm-d/bin/vitest-llm-d.js' }) as any).spec.template.spec;
    expect(pod.containers[0].command).toEqual(['node', 'node_modules/vitest-llm-d/bin/vitest-llm-d.js', 'pod-run', DIST]);
    const reader = claimReaderPod(names, { image: 'i', resultsPvc: 'c', activeDeadlineSeconds: 60, script: 'node_modules/vitest-llm-d/bin/vitest-llm-d.js' }) as any;
    expect(reader.spec.containers[0].command.slice(0, 3)).toEqual(['node', 'node_modules/vitest-llm-d/bin/vitest-llm-d.js', 'pod-export']);
  });

  test('the coordinator Service selects pod 0 of the Job on 7070', () => {
    expect(coordinatorService(names)).toEqual({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'llmd-dist-20261206190000-coord', labels: LABEL },
      spec: { type: 'ClusterIP', selector: { 'batch.kubernetes.io/job-name': 'llmd-dist-20261206190000', 'batch.kubernetes.io/job-completion-index': '0' }, ports: [{ name: 'coordinator', protocol: 'TCP', port: 7070, targetPort: 7070 }] },
    });
  });

  test('ConfigMaps and Secret: settings to N-env, secrets to N-secrets only, config.yaml readable by BENCH_RERUN', () => {
    const env = { BENCH_NUM_REQUESTS: '8', BENCH_WARMUP_REQUESTS: '2', BENCH_RESULTS_DIR: '/home/me/results', BENCH_KUBECONFIG: '/home/me/kc', OPENAI_API_KEY: 'sk-test-0123456789', BENCH_AUTH_TOKEN: 'tok-abcdefgh', SSH_AUTH_SOCK: '/tmp/agent', PATH: '/usr/bin' };
    const r = resolveLaunchConfig({ testFiles: [DIST], suite: 'dist', parallelism: 4, names, cwd, env });
    // BENCH_BARRIER_TIMEOUT_S: the poisson stage is bounded by its count only, so 600 s + 60 s.
    expect(r.settings).toEqual({ BENCH_BARRIER_TIMEOUT_S: '660', BENCH_NUM_REQUESTS: '8', BENCH_WARMUP_REQUESTS: '2' });
    expect(r.secrets).toEqual({ BENCH_AUTH_TOKEN: 'tok-abcdefgh', OPENAI_API_KEY: 'sk-test-0123456789' });
    expect(envConfigMap(names, r.settings)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'llmd-dist-20261206190000-env', labels: LABEL }, data: r.settings });
    const files = filesConfigMap(names, r.configYaml, null) as any;
    expect(Object.keys(files.data)).toEqual(['config.yaml']);
    expect(JSON.stringify(files)).not.toContain('sk-test');
    expect(secretsSecret(names, r.secrets)).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'llmd-dist-20261206190000-secrets', labels: LABEL }, type: 'Opaque', stringData: r.secrets });
    expect(secretsSecret(names, {})).toBeNull();
    // The pods' view: BENCH_RERUN at a folder holding config.yaml gives the scenarios as resolved here.
    const dir = mkdtempSync(join(tmpdir(), 'launch-cfg-'));
    try {
      writeFileSync(join(dir, 'config.yaml'), files.data['config.yaml']);
      const c = readResolvedConfig(dir);
      expect(c).toMatchObject({ suite: 'dist', run: '2026-12-06T19-00-00Z', test_files: [DIST], secrets: ['BENCH_AUTH_TOKEN', 'OPENAI_API_KEY'] });
      const inPod = loadScenarioFile('test/distributed/suites/dist/dist.suite.yaml', { env: { BENCH_RERUN: dir }, cwd });
      expect(inPod.config.scenarios.poisson!.num_requests).toBe(8);
      expect(inPod.config.scenarios.sweep!.warmup_requests).toBe(2);
      expect(inPod.overrides.map((o) => o.source)).toContain('BENCH_RERUN');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pod status', () => {
  const pod = (status: object, extra: object = {}): JobPod => ({
    metadata: { name: 'llmd-dist-20261206190000-1-abcde', uid: 'u', labels: { 'batch.kubernetes.io/job-completion-index': '1' } },
    spec: { nodeName: 'sim-gpu-node-2', containers: [{ name: 'vitest-llm-d', image: 'vitest-llm-d:nope' } as never] },
    status: status as never,
    ...extra,
  });

  test('one line per change: Pending, Running on node X, Succeeded, Failed with reason', () => {
    const pending = podView(pod({ phase: 'Pending' }, { spec: {} }));
    expect(statusLine(undefined, pending)).toBe('pod 1 (llmd-dist-20261206190000-1-abcde): Pending');
    expect(statusLine(pending, pending)).toBeNull();
    const running = podView(pod({ phase: 'Running' }));
    expect(statusLine(pending, running)).toBe('pod 1 (llmd-dist-20261206190000-1-abcde): Running on node sim-gpu-node-2');
    const ok = podView(pod({ phase: 'Succeeded', containerStatuses: [{ name: 'vitest-llm-d', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }));
    expect(statusLine(running, ok)).toBe('pod 1 (llmd-dist-20261206190000-1-abcde): Succeeded on node sim-gpu-node-2');
    const failed = podView(pod({ phase: 'Failed', containerStatuses: [{ name: 'vitest-llm-d', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }));
    expect(statusLine(running, failed)).toBe('pod 1 (llmd-dist-20261206190000-1-abcde): Failed: Error, exit code 1');
    const evicted = podView(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }));
    expect(evicted).toMatchObject({ terminal: true, reason: 'Evicted', index: 1 });
    expect(statusLine(running, evicted)).toBe('pod 1 (llmd-dist-20261206190000-1-abcde): Failed: Evicted (The node was low on resource: memory.)');
  });

  test.each(['ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError', 'InvalidImageName'])('%s stops the launch with the image and the kubelet message', (reason) => {
    const v = podView(pod({ phase: 'Pending', containerStatuses: [{ name: 'vitest-llm-d', image: 'vitest-llm-d:nope', state: { waiting: { reason, message: 'Back-off pulling image "vitest-llm-d:nope"' } } }] }));
    expect(v.startFailure).toEqual({ reason, message: 'Back-off pulling image "vitest-llm-d:nope"', image: 'vitest-llm-d:nope' });
    expect(startFailureMessage(v)).toContain(`pod 1 (llmd-dist-20261206190000-1-abcde) cannot start image vitest-llm-d:nope: ${reason}: Back-off pulling image "vitest-llm-d:nope"`);
  });

  test('ContainerCreating is not a start failure', () => {
    expect(podView(pod({ phase: 'Pending', containerStatuses: [{ name: 'vitest-llm-d', state: { waiting: { reason: 'ContainerCreating' } } }] })).startFailure).toBeNull();
  });
});
