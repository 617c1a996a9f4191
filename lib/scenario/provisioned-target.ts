/**
 * The `target` of a run on a stack it provisions itself (`BENCH_PROVISION=<template>`): the
 * template is checked, the stack provisioned on the configured cluster (or the embedded cluster
 * simulator when none is configured), rolled out and reached (URL, service DNS, ClusterIP or
 * port-forward); the resulting URL is opened through the same path as any endpoint (preflight
 * `/v1/models`), and closing the target tears the stack down and lets the cluster go. Reports
 * carry `target.provisioned` (where, how it is reached, the port-forward warning) and, on the
 * cluster simulator, say SIMULATOR: its vLLM servers are simulated.
 */
import type { ConfigOverride, Env } from '../config/index.ts';
import { TargetSchema } from '../config/schema/target.ts';
import type { TargetSelection } from '../config/resolve-target.ts';
import { BenchError } from '../errors/index.ts';
import type { ClusterConnection } from '../k8s/connect.ts';
import { manifestsYaml } from '../k8s/standalone-template.ts';
import { provisionStack, renderForProvision, type ProvisionedStack } from '../k8s/provision.ts';
import type { ProvisionSettings } from '../k8s/provision-settings.ts';
import { openTarget, type OpenedTarget } from './open.ts';
import { settings as envSettings } from '../settings/registry.ts';

/** A cluster to provision on, and how to let it go (the fixture's `openCluster`). */
export interface ClusterLease {
  conn: ClusterConnection;
  close(): Promise<void>;
}

/** What provisioning a target needs besides the settings. */
export interface ProvisionedTargetOptions {
  env: Env;
  /** Directory the template path is relative to. */
  cwd: string;
  /** Run id for the run label. */
  runId: string;
  /** Opens the cluster: the configured one or the embedded simulator. */
  openCluster(): Promise<ClusterLease>;
  /** Progress lines and the dry run's manifests (default: stderr and stdout). */
  log?(line: string): void;
  out?(text: string): void;
}

/** An opened provisioned target; `close()` also tears the stack down. */
export type ProvisionedTarget = OpenedTarget & { overrides: ConfigOverride[]; stack: ProvisionedStack };

/** GPUs per replica as the Deployment's pod template asks for them, for the report. */
function accelerator(p: ProvisionedStack, simulator: boolean): string {
  const spec = (p.stack.deployment.spec as { replicas?: number; template?: { spec?: { containers?: Array<{ resources?: { limits?: Record<string, unknown> } }> } } }) ?? {};
  const gpus = (spec.template?.spec?.containers ?? []).reduce((n, c) => n + Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0), 0);
  const what = `${spec.replicas ?? 1} replica(s) x ${gpus} nvidia.com/gpu`;
  return simulator ? `${what} (simulated)` : what;
}

/** The endpoint selection for the stack's URL: model and API from `BENCH_MODEL` / `BENCH_API`; no API key is sent. */
function selectionFor(baseUrl: string, env: Env, origin: string): TargetSelection {
  const overrides: ConfigOverride[] = [{ path: 'target.base_url', value: baseUrl, source: origin }];
  const model = envSettings(env).get('BENCH_MODEL');
  const api = envSettings(env).get('BENCH_API');
  if (model !== undefined) overrides.push({ path: 'target.model', value: model, source: 'env BENCH_MODEL' });
  if (api !== undefined) overrides.push({ path: 'target.api', value: api, source: 'env BENCH_API' });
  const target = TargetSchema.parse({ name: 'provisioned', base_url: baseUrl, backend: 'vllm', ...(model ? { model } : {}), ...(api ? { api } : {}) });
  return { kind: 'endpoint', target: target as TargetSelection['target'] & { base_url: string }, origin, secrets: [], overrides };
}

/**
 * Provisions the stack of `settings` and opens it as the run's target. With `dryRun` it prints
 * the manifests and throws `PROVISION_DRY_RUN` (nothing created, nothing measured). A template
 * error fails before any cluster is opened; any later failure tears down what was created and
 * lets the cluster go before the error is rethrown.
 */
export async function openProvisionedTarget(settings: ProvisionSettings, opts: ProvisionedTargetOptions): Promise<ProvisionedTarget> {
  const log = opts.log ?? ((line: string) => void process.stderr.write(`vitest-llm-d: ${line}\n`));
  const base = { template: settings.template, cwd: opts.cwd, env: opts.env, runId: opts.runId, ...(settings.name ? { name: settings.name } : {}) };
  const rendered = renderForProvision(base, envSettings(opts.env).get('BENCH_NAMESPACE'));
  if (settings.dryRun) {
    (opts.out ?? ((t: string) => void process.stdout.write(t)))(manifestsYaml(rendered));
    throw new BenchError('PROVISION_DRY_RUN', `BENCH_PROVISION_DRY_RUN=1: printed the ${rendered.objects.length} manifests of ${rendered.source}; nothing was created and nothing was measured`);
  }
  const cluster = await opts.openCluster();
  let provisioned: ProvisionedStack;
  try {
    provisioned = await provisionStack(cluster.conn, { ...base, log, ...(settings.url ? { url: settings.url } : {}), ...(settings.access ? { access: settings.access } : {}), ...(settings.timeoutS ? { timeoutS: settings.timeoutS } : {}) });
  } catch (err) {
    await cluster.close();
    throw err;
  }
  const simulator = cluster.conn.kind === 'simulator';
  const release = async (): Promise<void> => {
    await provisioned.teardown();
    await cluster.close();
  };
  const selection = selectionFor(provisioned.access.baseUrl, opts.env, `BENCH_PROVISION=${provisioned.info.template}`);
  let target: OpenedTarget;
  try {
    target = await openTarget(selection, { env: opts.env });
  } catch (err) {
    await release();
    throw err;
  }
  const sim = simulator ? { cluster_simulator: cluster.conn.server, cluster_time_scale: cluster.conn.time.timeScale } : null;
  target.info = { ...target.info, kind: simulator ? 'simulator' : 'endpoint', accelerator: accelerator(provisioned, simulator), simulator: sim, provisioned: provisioned.info };
  const closeTarget = target.close;
  return Object.assign(target, {
    overrides: selection.overrides,
    stack: provisioned,
    close: async () => {
      await closeTarget();
      await release();
    },
  });
}
