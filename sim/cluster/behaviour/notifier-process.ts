/**
 * The launcher pod's notifier sidecar (`state-change-reflector`, FMA
 * `inference_server/launcher/launcher_pod_notifier.py`, protocol 5): every 2 s it reads
 * `GET <LAUNCHER_BASE_URL>/v2/vllm/instances`, hashes the sorted `(instance_id, status)` pairs
 * with the instance counts (SHA-256 of Python's `json.dumps(..., sort_keys=True,
 * separators=(",", ":"))`), and when the hash differs from its pod's
 * `dual-pods.llm-d.ai/vllm-instance-signature` annotation it patches the annotation. The
 * controller gets a pod event and resyncs the launcher. Errors back off 5 s.
 *
 * `127.0.0.1` in the base URL is the pod's own network namespace, which in the simulator is the
 * pod IP.
 */
import { createHash } from 'node:crypto';
import { httpGet } from './http-get.ts';
import type { ContainerBehaviour, ContainerProcess } from './runtime.ts';

/** The annotation the notifier maintains. */
export const SIGNATURE_ANNOTATION = 'dual-pods.llm-d.ai/vllm-instance-signature';

/** The launcher's answer, as far as the notifier reads it. */
interface LauncherState {
  instances?: Array<{ instance_id?: unknown; status?: unknown }>;
  total_instances?: number;
  running_instances?: number;
}

/** The notifier's signature of a launcher state (same bytes as the Python implementation for ASCII IDs). */
export function instanceSignature(payload: LauncherState): string {
  const instances = (payload.instances ?? []).map((i) => ({ instance_id: String(i.instance_id ?? ''), status: String(i.status ?? '') }));
  instances.sort((a, b) => (a.instance_id === b.instance_id ? cmp(a.status, b.status) : cmp(a.instance_id, b.instance_id)));
  const canonical = {
    instances: instances.map((i) => ({ instance_id: i.instance_id, status: i.status })),
    running_instances: Math.trunc(Number(payload.running_instances ?? 0)),
    total_instances: Math.trunc(Number(payload.total_instances ?? instances.length)),
  };
  return createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('hex');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Starts the notifier loop. */
export const startNotifier: ContainerBehaviour = (ctx): ContainerProcess => {
  const { runtime } = ctx;
  const base = new URL(ctx.env.LAUNCHER_BASE_URL || 'http://127.0.0.1:8001');
  const host = ['127.0.0.1', 'localhost', '0.0.0.0'].includes(base.hostname) ? ctx.podIP : base.hostname;
  const port = Number(base.port || 80);
  const namespace = ctx.env.NAMESPACE || ctx.pod.metadata.namespace || 'default';
  const name = ctx.env.POD_NAME || ctx.pod.metadata.name || '';
  const log = (level: string, msg: string): void => ctx.log.write(`${runtime.clock.microTimestamp().replace('T', ' ').slice(0, 23)} ${level} launcher_pod_notifier: ${msg}`);
  let cancel: (() => void) | undefined;
  let stopped = false;

  const tick = async (): Promise<void> => {
    cancel = undefined;
    let next = runtime.timing.options.notifierPollMs;
    // urllib's 5 s timeout, in cluster time (never below 1 s of real time: host load is not modelled).
    const r = await httpGet({ host, port, path: `${base.pathname.replace(/\/$/, '')}/v2/vllm/instances`, timeoutMs: Math.max(1000, runtime.clock.toRealMs(5000)) });
    if (stopped) return;
    try {
      if (!r.ok) throw new Error(`<urlopen error ${r.error}>`);
      if (r.status >= 400) throw new Error(`HTTP Error ${r.status}`);
      const payload = JSON.parse(r.body) as unknown;
      if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new Error(`launcher response is not an object: ${r.body.slice(0, 100)}`);
      const signature = instanceSignature(payload as LauncherState);
      const pod = runtime.store.get('pods', namespace, name);
      if (!pod) throw new Error(`(404) Reason: Not Found: pods "${name}" not found`);
      if (pod.metadata.annotations?.[SIGNATURE_ANNOTATION] !== signature) {
        runtime.store.patch('pods', namespace, name, { metadata: { annotations: { [SIGNATURE_ANNOTATION]: signature } } }, 'merge');
        log('INFO', 'Published launcher state change');
      }
    } catch (err) {
      log('WARNING', `Notifier loop failed: ${(err as Error).message}`);
      next = runtime.timing.options.notifierBackoffMs;
    }
    if (!stopped) cancel = runtime.clock.after(next, () => void tick());
  };

  log('INFO', `Launcher Pod notifier started for pod ${name} in namespace ${namespace} against ${base.origin}`);
  cancel = runtime.clock.after(0, () => void tick());
  return {
    async stop() {
      stopped = true;
      cancel?.();
    },
  };
};
