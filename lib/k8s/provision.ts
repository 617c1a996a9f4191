/**
 * Provisioning a standalone stack (llm-d-benchmark's "standalone" method) for a benchmark run:
 * render the template with the run label, check RBAC, create its objects, wait for the
 * Deployment's rollout with a watch, open the access (URL, service DNS, ClusterIP or
 * port-forward), and tear everything down afterwards: delete by run label and wait until nothing
 * is left, on success, failure, timeout and SIGINT/SIGTERM. `renderForProvision` alone is the dry
 * run: the manifests, nothing created.
 */
import { resolve } from 'node:path';
import { displayPath } from '../config/load-file.ts';
import type { Env } from '../config/substitute.ts';
import type { ProvisionInfo } from '../report/model.ts';
import { cleanupOnSignal, deleteRun, type CleanupResult } from './cleanup.ts';
import { checkPermissions, type ClusterConnection, type Permission } from './connect.ts';
import { ClusterError } from './errors.ts';
import { createObject } from './objects.ts';
import { waitForRollout, type RolloutResult } from './rollout.ts';
import { chooseAccess, openAccess, runsInCluster, type AccessMode, type StackAccess } from './stack-access.ts';
import { renderStandalone, type StandaloneStack } from './standalone-template.ts';
import { RUN_LABEL } from './template.ts';
import { DEFAULT_PROVISION_TIMEOUT_S } from '../settings/cluster.ts';

/** Default rollout timeout, cluster seconds: model download and load on a real cluster take minutes. */
export { DEFAULT_PROVISION_TIMEOUT_S };

/** What to provision and how. */
export interface ProvisionOptions {
  /** Template file (relative to `cwd`). */
  template: string;
  cwd?: string;
  /** Environment for the template's `${VAR}`s and in-cluster detection (default `process.env`). */
  env?: Env;
  /** The run id: the value of the run label on everything created. */
  runId: string;
  /** `STACK_NAME` (default `vllm-standalone-<last 4 characters of the run id>`). */
  name?: string;
  /** A URL that reaches the stack (gateway, route); selects access mode `url`. */
  url?: string;
  /** Forces an access mode (default: see {@link chooseAccess}). */
  access?: AccessMode;
  /** Rollout timeout in cluster seconds (default {@link DEFAULT_PROVISION_TIMEOUT_S}). */
  timeoutS?: number;
  /** Progress lines (created, rolled out, reached by). */
  log?: (line: string) => void;
}

/** A provisioned, rolled-out, reachable stack. */
export interface ProvisionedStack {
  stack: StandaloneStack;
  access: StackAccess;
  rollout: RolloutResult;
  /** For reports. */
  info: ProvisionInfo;
  /** Closes the access, deletes everything with the run label and waits until it is gone. Idempotent. */
  teardown(): Promise<CleanupResult>;
}

/** The template as shown in messages: relative to `cwd` when inside it. */
function templateSource(options: ProvisionOptions): { path: string; source: string } {
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, options.template);
  return { path, source: displayPath(path, cwd) };
}

/** Renders the template for this run (`STACK_NAME` set, run label on everything): the dry run's output, and step one of provisioning. */
export function renderForProvision(options: ProvisionOptions, namespace?: string): StandaloneStack {
  const { path, source } = templateSource(options);
  const name = options.name ?? `vllm-standalone-${options.runId.slice(-4)}`;
  return renderStandalone({ file: path, source, vars: { STACK_NAME: name }, env: options.env ?? process.env, runId: options.runId, namespace });
}

/** One line saying what teardown deleted and whether anything is left. */
export function cleanupLine(result: CleanupResult, runId: string): string {
  const left = result.leftovers.length ? `LEFT ${result.leftovers.join(', ')}` : 'nothing left';
  const errors = result.errors.length ? `; errors: ${result.errors.join('; ')}` : '';
  return `cleanup: deleted ${result.deleted.join(', ') || 'nothing'} (${RUN_LABEL}=${runId}); ${left}${errors}`;
}

/** The kinds teardown deletes and waits for: the template's, plus what the Deployment creates. */
function teardownKinds(stack: StandaloneStack): string[] {
  return [...new Set([...stack.objects.map((m) => m.kind), 'ReplicaSet', 'Pod'])];
}

/** The REST resource of a kind (`Deployment` -> `deployments`, `LauncherPopulationPolicy` -> `launcherpopulationpolicies`). */
function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

/** RBAC a provisioning run needs in the namespace: create, list and delete what the template has; watch Deployments; list pods and events (diagnostic); port-forward when used. */
export function provisionPermissions(stack: StandaloneStack, mode: AccessMode): Permission[] {
  const needs: Permission[] = [];
  const seen = new Set<string>();
  for (const m of stack.objects) {
    if (seen.has(m.kind)) continue;
    seen.add(m.kind);
    const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '';
    for (const verb of ['create', 'list', 'delete']) needs.push({ verb, resource: pluralOf(m.kind), group });
  }
  needs.push({ verb: 'watch', resource: 'deployments', group: 'apps' }, { verb: 'list', resource: 'replicasets', group: 'apps' }, { verb: 'list', resource: 'pods' }, { verb: 'list', resource: 'events' });
  if (mode === 'port-forward') needs.push({ verb: 'create', resource: 'pods', subresource: 'portforward' });
  return needs;
}

/**
 * Provisions the template on `c`. Nothing is created when the template does not render or RBAC
 * is missing (one error each); once anything is created, a failure (a create refused, the rollout
 * timeout with its diagnostic, no way to reach it) tears the stack down before the error is
 * rethrown, with the cleanup's outcome on its last line.
 */
export async function provisionStack(c: ClusterConnection, options: ProvisionOptions): Promise<ProvisionedStack> {
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const stack = renderForProvision(options, c.namespace);
  const mode = options.access ?? chooseAccess({ url: options.url, simulator: c.kind === 'simulator', inCluster: runsInCluster(env as NodeJS.ProcessEnv) });
  if (mode === 'url' && !options.url) throw new ClusterError('PROVISION_ACCESS', 'access mode "url" needs a URL (BENCH_PROVISION_URL)');
  await checkPermissions(c, provisionPermissions(stack, mode));

  const kinds = teardownKinds(stack);
  const waitMs = Math.max(10_000, c.time.toRealMs(180_000));
  let access: StackAccess | undefined;
  let torn: Promise<CleanupResult> | undefined;
  const teardown = (): Promise<CleanupResult> =>
    (torn ??= (async () => {
      await access?.close();
      const result = await deleteRun(c, options.runId, waitMs, kinds);
      signal.release();
      log(cleanupLine(result, options.runId));
      return result;
    })());
  const signal = cleanupOnSignal(teardown);
  const deployment = stack.deployment.metadata.name ?? '';
  const service = stack.service.metadata.name ?? '';
  try {
    for (const m of stack.objects) {
      const { created } = await createObject(c, m, RUN_LABEL);
      if (!created && (m.kind === 'Deployment' || m.kind === 'Service')) {
        throw new ClusterError('PROVISION_EXISTS', `${m.kind} ${m.metadata.name} already exists in namespace ${c.namespace} on ${c.server} and was not created by this run: set BENCH_PROVISION_NAME to another name`);
      }
    }
    log(`created Deployment ${deployment} and Service ${service} in namespace ${c.namespace} on ${c.server} (run ${options.runId}); waiting for the rollout`);
    const timeoutS = options.timeoutS ?? DEFAULT_PROVISION_TIMEOUT_S;
    const rollout = await waitForRollout(c, { name: deployment, selector: stack.selector, timeoutMs: timeoutS * 1000 });
    access = await openAccess(c, stack, mode, options.url);
    log(`rolled out in ${rollout.clusterSeconds.toFixed(1)} s (cluster time); reached by ${mode}: ${access.baseUrl} (${access.detail})`);
    const info: ProvisionInfo = {
      template: stack.source,
      cluster: c.kind,
      server: c.server,
      context: c.context,
      namespace: c.namespace,
      runId: options.runId,
      deployment,
      service,
      access: mode,
      accessDetail: access.detail,
      rolloutSeconds: Number(rollout.clusterSeconds.toFixed(3)),
      warnings: access.warning ? [access.warning] : [],
    };
    return { stack, access, rollout, info, teardown };
  } catch (err) {
    const result = await teardown();
    if (err instanceof ClusterError) throw new ClusterError(err.code, `${err.message}\n${cleanupLine(result, options.runId)}`, { cause: err });
    throw err;
  }
}
