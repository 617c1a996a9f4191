/**
 * Server-request templates: the YAML a user keeps for the requester ReplicaSet or Deployment (as
 * in the FMA benchmark's `deploy/server-request-*.yaml`), plus any objects it needs (an
 * InferenceServerConfig, a LauncherConfig, a Service). Rendering substitutes `${VAR}` (only the
 * braced form: a bare `$NAME` belongs to the container's shell) from the given variables, then
 * the environment (`CONTAINER_IMG_REG`, `CONTAINER_IMG_VERSION`, `MODEL_REGISTRY`,
 * `MODEL_REPO`, ...), labels every object and the pod template with the run
 * label so cleanup can select exactly what this run created, and checks the requester annotation
 * before anything is sent to a cluster.
 */
import { parseAllDocuments, LineCounter } from 'yaml';
import { ConfigError } from '../errors/index.ts';
import { readConfigText } from '../config/load-file.ts';
import { substituteDocument, type Env } from '../config/substitute.ts';
import { INFERENCE_SERVER_CONTAINER, requestStyle, type Convention } from './dual-pods.ts';

/** The label every object a run creates carries; its value is the run id. */
export const RUN_LABEL = 'vitest-llm-d/run';

/** A Kubernetes object as plain JSON. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What a rendered template asks for. */
export interface RenderedRequest {
  /** Every object of the template, in file order, labelled with the run. */
  objects: Manifest[];
  /** The requester workload (the one ReplicaSet or Deployment whose pod template is a requester). */
  workload: Manifest & { kind: 'ReplicaSet' | 'Deployment' };
  /** Label selector of the workload's pods, as a `labelSelector` query string. */
  selector: string;
  /** `direct` (server-patch) or `launcher` (inference-server-config). */
  style: 'direct' | 'launcher';
  convention: Convention;
  /** The InferenceServerConfig the requesters name (launcher style). */
  isc?: string;
  /** Things that will not fail the run but distort what it measures. */
  warnings: string[];
  /** The file as shown in messages. */
  source: string;
}

export interface RenderOptions {
  /** Template file path. */
  file: string;
  /** Name shown in errors (default: the path). */
  source?: string;
  /** Variables that win over the environment (`REPLICASET_NAME`, `MODEL_REGISTRY`, ...). */
  vars?: Record<string, string | undefined>;
  /** Environment for the rest (default `process.env`). */
  env?: Env;
  /** Run id for the run label. */
  runId: string;
  /** Extra labels for every object's own metadata (e.g. the iteration); pod templates get only the run label. */
  labels?: Record<string, string>;
}

type PodTemplate = { metadata?: Manifest['metadata']; spec?: { containers?: Array<{ name?: string }> } };

/** The pod template of a workload (`spec.template`) or of a LauncherConfig (`spec.podTemplate`). */
function podTemplate(m: Manifest): PodTemplate | undefined {
  if (m.kind === 'LauncherConfig') return (m.spec as { podTemplate?: PodTemplate } | undefined)?.podTemplate;
  return (m.spec as { template?: PodTemplate } | undefined)?.template;
}

function matchLabelsSelector(m: Manifest): string {
  const sel = (m.spec as { selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } } | undefined)?.selector;
  if (!sel?.matchLabels || Object.keys(sel.matchLabels).length === 0) return '';
  return Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * Renders a template from text. Throws `ConfigError` naming the file (and line) when the YAML
 * does not parse, a variable is unset, or no ReplicaSet/Deployment carries a requester annotation.
 */
export function renderTemplateText(text: string, options: RenderOptions): RenderedRequest {
  const source = options.source ?? options.file;
  const env: Env = { ...(options.env ?? process.env), ...Object.fromEntries(Object.entries(options.vars ?? {}).filter(([, v]) => v !== undefined)) };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) throw new ConfigError(source, '', 'not a YAML stream');
  const objects: Manifest[] = [];
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const pos = lineCounter.linePos(err.pos[0]);
      throw new ConfigError(`${source}:${pos.line}:${pos.col}`, '', `invalid YAML: ${err.message.split('\n')[0]}`);
    }
    if (doc.contents === null) continue;
    substituteDocument(doc, env, docs.length > 1 ? `${source} (document ${index + 1})` : source, { syntax: 'braced' });
    const value = doc.toJS() as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(source, `document ${index + 1}`, 'expected a Kubernetes object');
    const m = value as Manifest;
    if (typeof m.kind !== 'string' || typeof m.apiVersion !== 'string') throw new ConfigError(source, `document ${index + 1}`, 'a Kubernetes object needs apiVersion and kind');
    if (!m.metadata || (!m.metadata.name && !m.metadata.generateName)) throw new ConfigError(source, `document ${index + 1} (${m.kind})`, 'metadata.name is required');
    objects.push(m);
  }
  let workload: RenderedRequest['workload'] | undefined;
  let style: ReturnType<typeof requestStyle> = null;
  for (const m of objects) {
    if (m.kind !== 'ReplicaSet' && m.kind !== 'Deployment') continue;
    const s = requestStyle(podTemplate(m)?.metadata?.annotations);
    if (!s) continue;
    if (workload) throw new ConfigError(source, `${m.kind} ${m.metadata.name}`, `a second requester workload (already have ${workload.kind} ${workload.metadata.name}); use one per template`);
    workload = m as RenderedRequest['workload'];
    style = s;
  }
  if (!workload || !style) {
    throw new ConfigError(
      source,
      '',
      'no ReplicaSet or Deployment whose pod template carries a requester annotation (dual-pods.llm-d.ai/server-patch or dual-pods.llm-d.ai/inference-server-config, or the older dual-pod.llm-d.ai/ prefix)',
    );
  }
  const selector = matchLabelsSelector(workload);
  if (!selector) throw new ConfigError(source, `${workload.kind} ${workload.metadata.name}.spec.selector`, 'matchLabels is required (the requesters are found by it)');
  const warnings: string[] = [];
  const containers = podTemplate(workload)?.spec?.containers ?? [];
  if (!containers.some((c) => c.name === INFERENCE_SERVER_CONTAINER)) {
    warnings.push(
      `${source}: no container named "${INFERENCE_SERVER_CONTAINER}" in the requester: the dual-pods controller cannot read its start time, so it observes no actuation latency and container-start timings fall back to pod creation`,
    );
  }
  if (style.convention === 'legacy') {
    warnings.push(`${source}: uses the older "dual-pod.llm-d.ai/" prefix, which current dual-pods controllers ignore (they read "dual-pods.llm-d.ai/")`);
  }
  const labels = { [RUN_LABEL]: options.runId, ...(options.labels ?? {}) };
  for (const m of objects) {
    m.metadata.labels = { ...(m.metadata.labels ?? {}), ...labels };
    const tpl = podTemplate(m);
    if (tpl) {
      tpl.metadata ??= {};
      // Only the run label on pods: providers inherit the requester's labels (and so the run
      // label, for cleanup), and the controller's hit test hashes them, so per-iteration labels
      // here would make every iteration's sleepers unreachable to the next. Launcher pods carry
      // their LauncherConfig's podTemplate labels, so they get the run label the same way.
      tpl.metadata.labels = { ...(tpl.metadata.labels ?? {}), [RUN_LABEL]: options.runId };
    }
  }
  return { objects, workload, selector, style: style.style, convention: style.convention, isc: style.isc, warnings, source };
}

/** Reads and renders a template file (see {@link renderTemplateText}). */
export function renderTemplate(options: RenderOptions): RenderedRequest {
  const source = options.source ?? options.file;
  return renderTemplateText(readConfigText(options.file, source), { ...options, source });
}
