/**
 * Reads the dual-pods controller's log (klog structured lines, protocol section 3) for the
 * timings only the controller knows at microsecond precision: when it called `wake`,
 * `create_instance` and `relay_ready`, and which path it took per requester.
 *
 * A line looks like
 * `I1123 13:08:50.123456 1 inference-server.go:2209] "HTTP call done" purpose="wake" method="POST"
 * url="http://10.0.0.5:8000/wake_up" httpCallStartTime="2026-11-23T13:08:50.100000Z" latencySecs=0.53
 * statusCode=200 requesterName="my-request-x2k4f"`.
 */
import type { ClusterConnection } from './connect.ts';
import { kubeTimeMs } from './cluster-time.ts';

/** One parsed log line. */
export interface DpcLine {
  message: string;
  fields: Record<string, string>;
}

const LINE = /^[IWEF]\d{4} [\d:.]+\s+\d+ [^\]]*\] "((?:[^"\\]|\\.)*)"(.*)$/;
const FIELD = /([A-Za-z][A-Za-z0-9_]*)=("((?:[^"\\]|\\.)*)"|\S+)/g;

/** Parses klog structured lines; other lines are skipped. */
export function parseDpcLog(text: string): DpcLine[] {
  const out: DpcLine[] = [];
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw.trim());
    if (!m) continue;
    const fields: Record<string, string> = {};
    for (const f of (m[2] ?? '').matchAll(FIELD)) fields[f[1]!] = f[3] !== undefined ? f[3].replace(/\\"/g, '"') : f[2]!;
    out.push({ message: (m[1] ?? '').replace(/\\"/g, '"'), fields });
  }
  return out;
}

/** What the controller's log says about one requester (cluster ms). */
export interface DpcFacts {
  /** Path the controller logged: created a launcher, created a provider, created an instance, woke. */
  createdLauncher?: number;
  createdProvider?: number;
  createInstance?: number;
  /** Start of the wake HTTP call and its latency (s). */
  wake?: number;
  wakeLatencyS?: number;
  /** Start + latency of the first successful `relay_ready` call (when the requester was told). */
  relayReady?: number;
  /** `Observed actuation latency` path label and value (s). */
  metricPath?: string;
  metricSeconds?: number;
}

function callEnd(f: Record<string, string>): number | undefined {
  const start = kubeTimeMs(f.httpCallStartTime);
  const latency = Number(f.latencySecs);
  if (start === undefined) return undefined;
  return Number.isFinite(latency) ? start + latency * 1000 : start;
}

/** Collects the facts per requester name. */
export function dpcFacts(lines: DpcLine[]): Map<string, DpcFacts> {
  const by = new Map<string, DpcFacts>();
  for (const { message, fields } of lines) {
    const name = fields.requesterName;
    if (!name) continue;
    let f = by.get(name);
    if (!f) by.set(name, (f = {}));
    const ok = (!fields.err || fields.err === '<nil>') && (fields.statusCode === undefined || /^2\d\d$/.test(fields.statusCode));
    if (message === 'Created launcher-based server-providing pod') f.createdLauncher ??= kubeTimeMs(fields.k8sCallStartTime) ?? Number.NaN;
    else if (message === 'Created server-providing pod') f.createdProvider ??= kubeTimeMs(fields.k8sCallStartTime) ?? Number.NaN;
    else if (message === 'Observed actuation latency') {
      f.metricPath = fields.path;
      f.metricSeconds = Number(fields.actuationSecs);
    } else if (message === 'HTTP call done' && ok) {
      if (fields.purpose === 'create_instance') f.createInstance ??= kubeTimeMs(fields.httpCallStartTime);
      else if (fields.purpose === 'wake' && f.wake === undefined) {
        f.wake = kubeTimeMs(fields.httpCallStartTime);
        f.wakeLatencyS = Number(fields.latencySecs);
      } else if (fields.purpose === 'relay_ready') f.relayReady ??= callEnd(fields);
    }
  }
  return by;
}

/** Where to find the controller: a label selector, in a namespace. */
export interface DpcLocation {
  namespace?: string;
  selector?: string;
}

const DEFAULT_SELECTORS = ['app.kubernetes.io/component=dual-pods-controller', 'app.kubernetes.io/name=dual-pods-controller'];

/**
 * Finds the controller's pod: the first pod matching the configured selector, else the chart's
 * usual labels, else a pod whose name contains `dual-pods-controller`. Null with a reason when
 * there is none or the pods cannot be listed.
 */
export async function findDpcPod(c: ClusterConnection, where: DpcLocation = {}): Promise<{ pod: string; namespace: string } | { pod: null; reason: string }> {
  const namespace = where.namespace ?? c.namespace;
  try {
    let pod: string | undefined;
    for (const selector of where.selector ? [where.selector] : DEFAULT_SELECTORS) {
      const list = await c.core.listNamespacedPod({ namespace, labelSelector: selector });
      pod = list.items.find((p) => p.status?.phase === 'Running')?.metadata?.name ?? list.items[0]?.metadata?.name;
      if (pod) break;
    }
    if (!pod && !where.selector) {
      const all = await c.core.listNamespacedPod({ namespace });
      pod = all.items.find((p) => p.metadata?.name?.includes('dual-pods-controller'))?.metadata?.name;
    }
    return pod ? { pod, namespace } : { pod: null, reason: `no dual-pods controller pod found in namespace ${namespace}` };
  } catch (err) {
    return { pod: null, reason: `listing pods for the dual-pods controller in namespace ${namespace}: ${(err as Error).message.split('\n')[0]}` };
  }
}

/**
 * Fetches the controller's log through the API (`pods/log`) from the pod {@link findDpcPod}
 * finds. Null text with a reason when there is none or it cannot be read (reports then say the
 * controller-side timings are missing, and why).
 */
export async function readDpcLog(c: ClusterConnection, where: DpcLocation = {}): Promise<{ text: string; pod: string } | { text: null; reason: string }> {
  const found = await findDpcPod(c, where);
  if (found.pod === null) return { text: null, reason: found.reason };
  try {
    const text = await c.core.readNamespacedPodLog({ name: found.pod, namespace: found.namespace });
    return { text: String(text), pod: found.pod };
  } catch (err) {
    return { text: null, reason: `reading the dual-pods controller log in namespace ${found.namespace}: ${(err as Error).message.split('\n')[0]}` };
  }
}
