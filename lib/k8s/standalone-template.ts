/**
 * Standalone-stack templates (llm-d-benchmark's "standalone" method): a YAML stream with one
 * vLLM Deployment and the Service in front of it (see `examples/standalone/vllm-standalone.yaml`).
 * Rendering substitutes `${VAR}` (only the braced form: a bare `$NAME` belongs to the container's
 * shell) from the given variables, then the environment, labels every
 * object and the pod template with the run label (so teardown selects exactly what the run
 * created), and checks the shape before anything is sent to a cluster: one Deployment with
 * `matchLabels`, a Service selecting its pods, a port to reach.
 *
 * Secrets: a template references a Hugging Face token Secret by name (`secretKeyRef`); the name
 * is not a secret and stays readable. Any value substituted from a secret-looking variable
 * (`*TOKEN*`, `*KEY*`, ...) that is not such a name is redacted wherever manifests are printed.
 */
import { LineCounter, parseAllDocuments, stringify } from 'yaml';
import { readConfigText } from '../config/load-file.ts';
import { redactText } from '../config/redact.ts';
import { substituteDocument, type Env } from '../config/substitute.ts';
import { ConfigError } from '../errors/index.ts';
import { KINDS } from './objects.ts';
import { RUN_LABEL, type Manifest } from './template.ts';

/** A rendered standalone stack, not yet applied. */
export interface StandaloneStack {
  /** Every object of the template, in file order, labelled with the run. */
  objects: Manifest[];
  /** The vLLM Deployment. */
  deployment: Manifest;
  /** The Service selecting the Deployment's pods. */
  service: Manifest;
  /** Label selector of the Deployment's pods (`matchLabels` as a query string). */
  selector: string;
  /** The Service port clients connect to. */
  servicePort: number;
  /** The pod's port behind it (the Service's `targetPort`, resolved through the container's named ports). */
  podPort: number;
  /** Names of the Secrets the pods reference (by name only; never read). */
  secretRefs: string[];
  /** Substituted secret-looking values to redact from anything printed. */
  redact: string[];
  /** The template as shown in messages. */
  source: string;
}

/** How to render a standalone template. */
export interface StandaloneRenderOptions {
  /** Template file path. */
  file: string;
  /** Name shown in errors (default: the path). */
  source?: string;
  /** Variables that win over the environment (`STACK_NAME`). */
  vars?: Record<string, string | undefined>;
  /** Environment for the rest (default `process.env`). */
  env?: Env;
  /** Run id for the run label. */
  runId: string;
  /** Namespace written into every object; unset leaves it to the applying client. */
  namespace?: string;
}

type Container = { name?: string; ports?: Array<{ name?: string; containerPort?: number }>; env?: unknown; envFrom?: unknown };
type PodTemplate = { metadata?: Manifest['metadata']; spec?: { containers?: Container[]; volumes?: unknown; imagePullSecrets?: unknown } };
type ServiceSpec = { selector?: Record<string, string>; ports?: Array<{ port?: number; targetPort?: number | string; protocol?: string }> };

function podTemplate(m: Manifest): PodTemplate | undefined {
  return (m.spec as { template?: PodTemplate } | undefined)?.template;
}

/** Names of Secrets referenced anywhere below `node` (`secretKeyRef`, `secretRef`, `secret.secretName`, `imagePullSecrets`). */
function secretNames(node: unknown, key = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) {
      if (key === 'imagePullSecrets' && typeof (item as { name?: unknown })?.name === 'string') out.add((item as { name: string }).name);
      secretNames(item, '', out);
    }
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if ((key === 'secretKeyRef' || key === 'secretRef') && typeof o.name === 'string') out.add(o.name);
    if (key === 'secret' && typeof o.secretName === 'string') out.add(o.secretName);
    for (const [k, v] of Object.entries(o)) secretNames(v, k, out);
  }
  return out;
}

function parseObjects(text: string, env: Env, source: string): { objects: Manifest[]; secrets: string[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) throw new ConfigError(source, '', 'not a YAML stream');
  const objects: Manifest[] = [];
  const secrets: string[] = [];
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const pos = lineCounter.linePos(err.pos[0]);
      throw new ConfigError(`${source}:${pos.line}:${pos.col}`, '', `invalid YAML: ${err.message.split('\n')[0]}`);
    }
    if (doc.contents === null) continue;
    const where = docs.length > 1 ? `${source} (document ${index + 1})` : source;
    secrets.push(...substituteDocument(doc, env, where, { syntax: 'braced' }).secrets);
    const m = doc.toJS() as Manifest | null;
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ConfigError(source, `document ${index + 1}`, 'expected a Kubernetes object');
    if (typeof m.kind !== 'string' || typeof m.apiVersion !== 'string') throw new ConfigError(source, `document ${index + 1}`, 'a Kubernetes object needs apiVersion and kind');
    if (!m.metadata?.name) throw new ConfigError(source, `document ${index + 1} (${m.kind})`, 'metadata.name is required');
    if (!KINDS[m.kind]) throw new ConfigError(source, `${m.kind} ${m.metadata.name}`, `kind ${m.kind} cannot be provisioned (supported: ${Object.keys(KINDS).join(', ')})`);
    objects.push(m);
  }
  return { objects, secrets };
}

/** The pod port a Service `targetPort` names: a number, or a container port's name. */
function resolvePodPort(target: number | string | undefined, servicePort: number, containers: Container[], source: string, svc: string): number {
  if (target === undefined) return servicePort;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of containers) for (const p of c.ports ?? []) if (p.name === target && typeof p.containerPort === 'number') return p.containerPort;
  throw new ConfigError(source, `Service ${svc}.spec.ports[0].targetPort`, `no container port named "${target}" in the Deployment`);
}

/**
 * Renders a standalone template from text. Throws `ConfigError` naming the file (and line or
 * object) when the YAML does not parse, a variable is unset, a kind cannot be provisioned, or
 * the Deployment and its Service are missing or do not match.
 */
export function renderStandaloneText(text: string, options: StandaloneRenderOptions): StandaloneStack {
  const source = options.source ?? options.file;
  const env: Env = { ...(options.env ?? process.env), ...Object.fromEntries(Object.entries(options.vars ?? {}).filter(([, v]) => v !== undefined)) };
  const { objects, secrets } = parseObjects(text, env, source);
  const deployments = objects.filter((m) => m.kind === 'Deployment');
  if (deployments.length !== 1) throw new ConfigError(source, '', `expected exactly one Deployment (the vLLM server), found ${deployments.length}`);
  const deployment = deployments[0]!;
  const dname = deployment.metadata.name;
  const match = (deployment.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
  if (!match || Object.keys(match).length === 0) throw new ConfigError(source, `Deployment ${dname}.spec.selector`, 'matchLabels is required (the pods are found by it)');
  const tpl = podTemplate(deployment);
  const podLabels = tpl?.metadata?.labels ?? {};
  const containers = tpl?.spec?.containers ?? [];
  if (containers.length === 0) throw new ConfigError(source, `Deployment ${dname}.spec.template.spec.containers`, 'at least one container is required');
  const service = objects.find((m) => {
    const sel = (m.spec as ServiceSpec | undefined)?.selector;
    return m.kind === 'Service' && sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
  });
  if (!service) throw new ConfigError(source, '', `no Service whose spec.selector selects the pods of Deployment ${dname} (labels ${Object.entries(podLabels).map(([k, v]) => `${k}=${v}`).join(',') || 'none'})`);
  const ports = ((service.spec as ServiceSpec).ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  const first = ports[0];
  if (!first || typeof first.port !== 'number') throw new ConfigError(source, `Service ${service.metadata.name}.spec.ports`, 'a TCP port with a numeric port is required');
  const podPort = resolvePodPort(first.targetPort, first.port, containers, source, service.metadata.name ?? '');

  for (const m of objects) {
    m.metadata.labels = { ...(m.metadata.labels ?? {}), [RUN_LABEL]: options.runId };
    if (options.namespace) m.metadata = { name: m.metadata.name, namespace: options.namespace, ...m.metadata };
    const t = podTemplate(m);
    if (t && (m.kind === 'Deployment' || m.kind === 'ReplicaSet')) {
      t.metadata ??= {};
      t.metadata.labels = { ...(t.metadata.labels ?? {}), [RUN_LABEL]: options.runId };
    }
  }
  const refs = secretNames(objects);
  return {
    objects,
    deployment,
    service,
    selector: Object.entries(match).map(([k, v]) => `${k}=${v}`).join(','),
    servicePort: first.port,
    podPort,
    secretRefs: [...refs],
    redact: [...new Set(secrets)].filter((s) => !refs.has(s)),
    source,
  };
}

/** Reads and renders a standalone template file (see {@link renderStandaloneText}). */
export function renderStandalone(options: StandaloneRenderOptions): StandaloneStack {
  const source = options.source ?? options.file;
  return renderStandaloneText(readConfigText(options.file, source), { ...options, source });
}

/** The rendered objects as a YAML stream (`kubectl apply -f -` reads it) under a comment naming the template and the run label; secret values redacted. */
export function manifestsYaml(stack: StandaloneStack): string {
  const run = stack.deployment.metadata.labels?.[RUN_LABEL] ?? '';
  const head = `# ${stack.source}: ${stack.objects.length} objects, labelled ${RUN_LABEL}=${run}\n`;
  const text = stack.objects.map((m) => stringify(m, { lineWidth: 0 })).join('---\n');
  return redactText(head + text, stack.redact);
}
