/*
 * Helpers of the provisioning tests: the cluster simulator in a child process (its own event loop,
 * as the fixture runs it) and a connection to it through the real Kubernetes client, the run
 * label's leftovers, and one streamed `/v1/completions` request timed to its first token.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { connectCluster, type ClusterConnection } from '../../lib/k8s/connect.ts';
import { KINDS, listObjects } from '../../lib/k8s/objects.ts';
import { RUN_LABEL } from '../../lib/k8s/template.ts';
import { spawnClusterSim, type ClusterSimOptionsInput, type ClusterSimProcess } from '../../sim/cluster/index.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The checked-in standalone template, relative to the repository root. */
export const TEMPLATE = 'examples/standalone/vllm-standalone.yaml';

/** A simulator child process and a connection to its namespace. */
export interface SimCluster {
  sim: ClusterSimProcess;
  conn: ClusterConnection;
  close(): Promise<void>;
}

/** Starts the cluster simulator (50 cluster seconds per real second, no dual-pods controller) and connects as the fixture does. */
export async function openSimCluster(options: ClusterSimOptionsInput = {}): Promise<SimCluster> {
  const sim = await spawnClusterSim({ timeScale: 0.02, seed: 5, dualPods: false, ...options });
  try {
    const conn = await connectCluster({ kubeconfig: sim.kubeconfigPath, namespace: sim.namespace, simulator: { clock: sim.clockInfo } });
    return { sim, conn, close: () => sim.stop() };
  } catch (err) {
    await sim.stop();
    throw err;
  }
}

/** A run id fit for the run label, unique per call. */
export function testRunId(prefix = 'pv'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** `Kind/name` of every object carrying the run label (any run, or `runId`'s), pods included. */
export async function labelled(conn: ClusterConnection, runId?: string): Promise<string[]> {
  const selector = runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL;
  const found: string[] = [];
  for (const kind of Object.keys(KINDS)) for (const m of await listObjects(conn, kind, selector)) found.push(`${kind}/${m.metadata.name}`);
  return found;
}

/** A template file written into a scratch folder (absolute path). */
export function writeTemplate(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'llmd-provision-')), 'stack.yaml');
  writeFileSync(path, text);
  return path;
}

/** One streamed completion as the client sees it. */
export interface StreamedCompletion {
  status: number;
  /** Request written -> first chunk with non-empty text, ms. */
  ttftMs: number;
  /** Content chunks received. */
  chunks: number;
  /** The stream ended with `data: [DONE]`. */
  done: boolean;
  text: string;
}

/**
 * POSTs a streaming `/v1/completions` to `baseUrl` and times the first token. `fresh` closes the
 * connection afterwards, so the next request pays connection setup (through port-forward: a new
 * WebSocket through the API server); otherwise the connection is kept alive and reused.
 */
export async function streamCompletion(baseUrl: string, model: string, opts: { maxTokens?: number; fresh?: boolean } = {}): Promise<StreamedCompletion> {
  const sent = performance.now();
  const res = await request(`${baseUrl}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: 'The quick brown fox jumps over', max_tokens: opts.maxTokens ?? 8, stream: true, ignore_eos: true }),
    reset: opts.fresh ?? false,
  });
  let ttftMs = -1;
  let chunks = 0;
  let done = false;
  let text = '';
  let buffer = '';
  for await (const part of res.body) {
    buffer += (part as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 2);
      if (!event.startsWith('data: ')) continue;
      const data = event.slice(6);
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      const piece = (JSON.parse(data) as { choices?: Array<{ text?: string }> }).choices?.[0]?.text ?? '';
      if (!piece) continue;
      if (ttftMs < 0) ttftMs = performance.now() - sent;
      chunks += 1;
      text += piece;
    }
  }
  return { status: res.statusCode, ttftMs, chunks, done, text };
}

/** The median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
