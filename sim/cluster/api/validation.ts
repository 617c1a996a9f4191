import type { KObject } from '../store-types.ts';
import { invalid, type FieldError } from './errors.ts';
import { labelKeyError, labelValueError, matchesLabels, structuredRequirements, type StructuredSelector } from './label-selector.ts';
import { jsonEqual } from './json-patch.ts';
import type { ResourceInfo } from './resources.ts';

/**
 * Server-side validation: minimal, but what it checks it checks like the API server and reports
 * with the same 422 messages (`Pod "Web" is invalid: metadata.name: Invalid value: "Web": a
 * lowercase RFC 1123 subdomain must consist of ...`).
 */

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` breaks `rule`, or undefined when it is valid. */
export function nameError(name: string, rule: ResourceInfo['nameRule']): string | undefined {
  switch (rule) {
    case 'subdomain':
      if (name.length > 253) return 'must be no more than 253 characters';
      if (!SUBDOMAIN.test(name)) {
        return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
      }
      return undefined;
    case 'label':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!LABEL.test(name)) {
        return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
      }
      return undefined;
    case 'label1035':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!LABEL1035.test(name)) {
        return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
      }
      return undefined;
    case 'path':
      if (name === '.' || name === '..' || /[/%]/.test(name)) return `may not be '.' or '..' and may not contain '/' or '%'`;
      return undefined;
  }
}

function metadataErrors(o: KObject, info: ResourceInfo): FieldError[] {
  const errs: FieldError[] = [];
  const m = o.metadata;
  if (!m.name) {
    errs.push({ field: 'metadata.name', type: 'Required value', detail: 'name or generateName is required' });
  } else {
    const why = nameError(m.name, info.nameRule);
    if (why) errs.push({ field: 'metadata.name', type: 'Invalid value', value: m.name, detail: why });
  }
  for (const [k, v] of Object.entries(m.labels ?? {})) {
    const keyWhy = labelKeyError(k);
    if (keyWhy) errs.push({ field: 'metadata.labels', type: 'Invalid value', value: k, detail: keyWhy });
    if (typeof v !== 'string') errs.push({ field: `metadata.labels`, type: 'Invalid value', value: v, detail: 'label values must be strings' });
    else {
      const valueWhy = labelValueError(v);
      if (valueWhy) errs.push({ field: 'metadata.labels', type: 'Invalid value', value: v, detail: valueWhy });
    }
  }
  for (const [k, v] of Object.entries(m.annotations ?? {})) {
    const keyWhy = labelKeyError(k);
    if (keyWhy) errs.push({ field: 'metadata.annotations', type: 'Invalid value', value: k, detail: keyWhy });
    if (typeof v !== 'string') errs.push({ field: `metadata.annotations`, type: 'Invalid value', value: v, detail: 'annotation values must be strings' });
  }
  (m.ownerReferences ?? []).forEach((r, i) => {
    for (const f of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      if (!r || !r[f]) errs.push({ field: `metadata.ownerReferences[${i}].${f}`, type: 'Required value', detail: `${f} must not be empty` });
    }
  });
  if ((m.ownerReferences ?? []).filter((r) => r?.controller).length > 1) {
    errs.push({ field: 'metadata.ownerReferences', type: 'Invalid value', value: m.ownerReferences, detail: 'Only one reference can have Controller set to true' });
  }
  return errs;
}

function containerErrors(spec: Record<string, unknown> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errs.push({ field: `${path}.containers`, type: 'Required value', detail: 'must specify at least one container' });
    return errs;
  }
  const names = new Set<string>();
  containers.forEach((c: Record<string, unknown> | null, i) => {
    const name = c?.name;
    if (typeof name !== 'string' || !name) errs.push({ field: `${path}.containers[${i}].name`, type: 'Required value', detail: 'a container name is required' });
    else if (names.has(name)) errs.push({ field: `${path}.containers[${i}].name`, type: 'Duplicate value', value: name, detail: 'container names must be unique' });
    else names.add(name);
    if (typeof c?.image !== 'string' || !c.image) errs.push({ field: `${path}.containers[${i}].image`, type: 'Required value', detail: 'an image is required' });
    const ports = c?.ports;
    if (ports !== undefined && !Array.isArray(ports)) errs.push({ field: `${path}.containers[${i}].ports`, type: 'Invalid value', value: ports, detail: 'must be a list' });
    else {
      (ports ?? []).forEach((p: { containerPort?: unknown } | null, j: number) => {
        const port = p?.containerPort;
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
          errs.push({ field: `${path}.containers[${i}].ports[${j}].containerPort`, type: 'Invalid value', value: port ?? null, detail: 'must be between 1 and 65535, inclusive' });
        }
      });
    }
  });
  return errs;
}

function workloadErrors(o: KObject, info: ResourceInfo): FieldError[] {
  const spec = (o.spec ?? {}) as { replicas?: unknown; selector?: StructuredSelector; template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } };
  const errs: FieldError[] = [];
  if (typeof spec.replicas !== 'number' || !Number.isInteger(spec.replicas) || spec.replicas < 0) {
    errs.push({ field: 'spec.replicas', type: 'Invalid value', value: spec.replicas, detail: 'must be greater than or equal to 0' });
  }
  const sel = spec.selector;
  if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) {
    errs.push({ field: 'spec.selector', type: 'Required value', detail: info.plural === 'deployments' ? 'empty selector is invalid for deployment' : '' });
  } else if (!matchesLabels(structuredRequirements(sel), spec.template?.metadata?.labels)) {
    errs.push({ field: 'spec.template.metadata.labels', type: 'Invalid value', value: spec.template?.metadata?.labels ?? {}, detail: '`selector` does not match template `labels`' });
  }
  errs.push(...containerErrors(spec.template?.spec, 'spec.template.spec'));
  if (info.plural === 'deployments') errs.push(...strategyErrors(o));
  return errs;
}

const PERCENT = /^\d+%$/;

function intOrPercentError(field: string, v: unknown): FieldError | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return undefined;
  if (typeof v === 'string' && PERCENT.test(v)) return undefined;
  return { field, type: 'Invalid value', value: v, detail: "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')" };
}

function strategyErrors(o: KObject): FieldError[] {
  const strategy = (o.spec as { strategy?: { type?: unknown; rollingUpdate?: { maxSurge?: unknown; maxUnavailable?: unknown } } } | undefined)?.strategy;
  const errs: FieldError[] = [];
  if (strategy?.type !== undefined && strategy.type !== 'RollingUpdate' && strategy.type !== 'Recreate') {
    errs.push({ field: 'spec.strategy.type', type: 'Unsupported value', value: strategy.type, detail: 'supported values: "Recreate", "RollingUpdate"' });
  }
  if (strategy?.type === 'Recreate' && strategy.rollingUpdate) {
    errs.push({ field: 'spec.strategy.rollingUpdate', type: 'Forbidden', detail: 'may not be specified when strategy `type` is \'Recreate\'' });
  }
  for (const key of ['maxSurge', 'maxUnavailable'] as const) {
    const e = intOrPercentError(`spec.strategy.rollingUpdate.${key}`, strategy?.rollingUpdate?.[key]);
    if (e) errs.push(e);
  }
  return errs;
}

function serviceErrors(o: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const ports = (o.spec as { ports?: Array<{ port?: unknown }> } | undefined)?.ports ?? [];
  ports.forEach((p, i) => {
    if (typeof p?.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
      errs.push({ field: `spec.ports[${i}].port`, type: 'Invalid value', value: p?.port, detail: 'must be between 1 and 65535, inclusive' });
    }
  });
  return errs;
}

function nonNegative(errs: FieldError[], field: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) errs.push({ field, type: 'Invalid value', value: v, detail: 'must be greater than or equal to 0' });
}

/** batch/v1 Job: the checks of `ValidateJob` the simulator's users meet, with its messages. */
function jobErrors(o: KObject): FieldError[] {
  const spec = (o.spec ?? {}) as {
    parallelism?: unknown;
    completions?: unknown;
    activeDeadlineSeconds?: unknown;
    backoffLimit?: unknown;
    backoffLimitPerIndex?: unknown;
    maxFailedIndexes?: unknown;
    completionMode?: unknown;
    selector?: StructuredSelector;
    template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> };
  };
  const errs: FieldError[] = [];
  nonNegative(errs, 'spec.parallelism', spec.parallelism);
  nonNegative(errs, 'spec.completions', spec.completions);
  nonNegative(errs, 'spec.backoffLimit', spec.backoffLimit);
  nonNegative(errs, 'spec.backoffLimitPerIndex', spec.backoffLimitPerIndex);
  nonNegative(errs, 'spec.maxFailedIndexes', spec.maxFailedIndexes);
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null && (typeof spec.activeDeadlineSeconds !== 'number' || !Number.isInteger(spec.activeDeadlineSeconds) || spec.activeDeadlineSeconds <= 0)) {
    errs.push({ field: 'spec.activeDeadlineSeconds', type: 'Invalid value', value: spec.activeDeadlineSeconds, detail: 'must be greater than 0' });
  }
  const mode = spec.completionMode;
  if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push({ field: 'spec.completionMode', type: 'Unsupported value', value: mode, detail: 'supported values: "NonIndexed", "Indexed"' });
  if (mode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) errs.push({ field: 'spec.completions', type: 'Required value', detail: 'when completion mode is Indexed' });
  if (mode !== 'Indexed') {
    if (spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null) errs.push({ field: 'spec.backoffLimitPerIndex', type: 'Forbidden', detail: 'requires indexed completion mode' });
    if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null) errs.push({ field: 'spec.maxFailedIndexes', type: 'Forbidden', detail: 'requires indexed completion mode' });
  } else if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null && (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null)) {
    errs.push({ field: 'spec.maxFailedIndexes', type: 'Required value', detail: 'must be specified when backoffLimitPerIndex is specified' });
  }
  const sel = spec.selector;
  if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) {
    errs.push({ field: 'spec.selector', type: 'Required value', detail: '' });
  } else if (!matchesLabels(structuredRequirements(sel), spec.template?.metadata?.labels)) {
    errs.push({ field: 'spec.template.metadata.labels', type: 'Invalid value', value: spec.template?.metadata?.labels ?? {}, detail: '`selector` does not match template `labels`' });
  }
  const restart = spec.template?.spec?.restartPolicy;
  if (restart !== 'OnFailure' && restart !== 'Never') {
    errs.push(restart === undefined ? { field: 'spec.template.spec.restartPolicy', type: 'Required value', detail: 'valid values: "OnFailure", "Never"' } : { field: 'spec.template.spec.restartPolicy', type: 'Unsupported value', value: restart, detail: 'supported values: "OnFailure", "Never"' });
  }
  errs.push(...containerErrors(spec.template?.spec, 'spec.template.spec'));
  return errs;
}

function pvcErrors(o: KObject): FieldError[] {
  const spec = (o.spec ?? {}) as { accessModes?: unknown; resources?: { requests?: { storage?: unknown } } };
  const errs: FieldError[] = [];
  if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) errs.push({ field: 'spec.accessModes', type: 'Required value', detail: 'at least 1 access mode is required' });
  if (spec.resources?.requests?.storage === undefined) errs.push({ field: 'spec.resources[storage]', type: 'Required value', detail: '' });
  return errs;
}

const KIND_CHECKS: Readonly<Record<string, (o: KObject, info: ResourceInfo) => FieldError[]>> = {
  pods: (o) => containerErrors(o.spec as Record<string, unknown> | undefined, 'spec'),
  replicasets: workloadErrors,
  deployments: workloadErrors,
  services: serviceErrors,
  jobs: jobErrors,
  persistentvolumeclaims: pvcErrors,
};

/** Validates an object about to be created; throws a 422 StoreError listing what is wrong. */
export function validateCreate(info: ResourceInfo, o: KObject): void {
  const errs = [...metadataErrors(o, info), ...(KIND_CHECKS[info.plural]?.(o, info) ?? [])];
  if (errs.length) throw invalid(info, o.metadata.name ?? '', errs);
}

/** Validates an update of `old` to `next`: the create rules plus immutable fields and finalizer rules. */
export function validateUpdate(info: ResourceInfo, old: KObject, next: KObject): void {
  const errs = [...metadataErrors(next, info), ...(KIND_CHECKS[info.plural]?.(next, info) ?? [])];
  if (info.plural === 'replicasets' || info.plural === 'deployments') {
    const a = (old.spec as { selector?: unknown } | undefined)?.selector;
    const b = (next.spec as { selector?: unknown } | undefined)?.selector;
    if (!jsonEqual(a, b)) errs.push({ field: 'spec.selector', type: 'Invalid value', value: b, detail: 'field is immutable' });
  }
  if (info.plural === 'jobs') {
    const a = (old.spec ?? {}) as Record<string, unknown>;
    const b = (next.spec ?? {}) as Record<string, unknown>;
    for (const key of ['selector', 'completionMode', 'template'] as const) {
      if (!jsonEqual(a[key], b[key])) errs.push({ field: `spec.${key}`, type: 'Invalid value', value: b[key], detail: 'field is immutable' });
    }
    if (a.completionMode === 'Indexed' && !jsonEqual(a.completions, b.completions) && !jsonEqual(b.completions, b.parallelism)) {
      errs.push({ field: 'spec.completions', type: 'Invalid value', value: b.completions, detail: 'field is immutable' });
    }
  }
  if (old.metadata.deletionTimestamp) {
    const added = (next.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
    if (added.length) {
      errs.push({
        field: 'metadata.finalizers',
        type: 'Forbidden',
        detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
      });
    }
  }
  if (errs.length) throw invalid(info, next.metadata.name ?? '', errs);
}
