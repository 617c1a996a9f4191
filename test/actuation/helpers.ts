/*
 * Helpers of the actuation tests: a cluster simulator in a child process (its own event loop, as
 * the suites run it) and a checked connection to it through the real Kubernetes client, scenario
 * files and templates in a scratch folder, the run label's leftovers, and bounded waits.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadActuationFile } from '../../lib/actuation/config.ts';
import type { ActuationRunInput } from '../../lib/actuation/run.ts';
import { connectCluster, type ClusterConnection } from '../../lib/k8s/connect.ts';
import { KINDS, listObjects } from '../../lib/k8s/objects.ts';
import { RUN_LABEL } from '../../lib/k8s/template.ts';
import { spawnClusterSim, type ClusterSimOptionsInput, type ClusterSimProcess } from '../../sim/cluster/index.ts';
import type { SimState } from '../../sim/cluster/sim-state.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TEMPLATES = join(ROOT, 'suites/actuation/templates');

/** A simulator child process and a connection to its namespace. */
export interface SimCluster {
  sim: ClusterSimProcess;
  conn: ClusterConnection;
  /** `GET /sim/state`. */
  state(): Promise<SimState>;
  close(): Promise<void>;
}

/** Starts the cluster simulator (fast clock by default) and connects to it as the fixture does. */
export async function openSimCluster(options: ClusterSimOptionsInput = {}): Promise<SimCluster> {
  const sim = await spawnClusterSim({ timeScale: 0.01, seed: 3, ...options });
  try {
    const conn = await connectCluster({ kubeconfig: sim.kubeconfigPath, namespace: sim.namespace, simulator: { clock: sim.clockInfo } });
    return {
      sim,
      conn,
      state: async () => (await (await fetch(`${sim.url}/sim/state`)).json()) as SimState,
      close: () => sim.stop(),
    };
  } catch (err) {
    await sim.stop();
    throw err;
  }
}

/** A run id fit for the run label, unique per call. */
export function testRunId(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A scratch folder. */
export function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'llmd-actuation-'));
}

/** A checked-in template's text. */
export function templateText(name: string): string {
  return readFileSync(join(TEMPLATES, name), 'utf8');
}

/**
 * Writes `actuation.yaml` (the given text) and any templates into `dir` and loads it as the
 * suite does; returns what `runActuationScenario` takes as `file`.
 */
export function scenarioFile(dir: string, yaml: string, templates: Record<string, string> = {}): ActuationRunInput['file'] {
  for (const [name, text] of Object.entries(templates)) writeFileSync(join(dir, name), text);
  const path = join(dir, 'actuation.yaml');
  writeFileSync(path, yaml);
  return loadActuationFile(path, {});
}

/** `Kind/name` of every object carrying the run label (any run, or `runId`'s), pods included. */
export async function labelled(conn: ClusterConnection, runId?: string): Promise<string[]> {
  const selector = runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL;
  const found: string[] = [];
  for (const kind of Object.keys(KINDS)) for (const m of await listObjects(conn, kind, selector)) found.push(`${kind}/${m.metadata.name}`);
  return found;
}

/** Names of the namespace's pods carrying the run label (providers and launchers inherit it). */
export async function labelledPods(conn: ClusterConnection): Promise<string[]> {
  const list = await conn.core.listNamespacedPod({ namespace: conn.namespace, labelSelector: RUN_LABEL });
  return list.items.map((p) => p.metadata?.name ?? '');
}

/** Polls `fn` every 10 ms until it returns something other than undefined/false; fails after `realMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, realMs = 15_000): Promise<T> {
  const deadline = performance.now() + realMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${realMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
