import { StoreError } from '../store-types.ts';
import { qualifiedResource, type ResourceInfo } from './resources.ts';

/**
 * Kubernetes API errors with the messages the real API server writes, so a client that matches
 * on a message (or a human reading a test failure) sees what a cluster would say.
 */

/** 404 `pods "x" not found` (`replicasets.apps "x" not found` outside the core group). */
export function notFound(info: ResourceInfo, name: string): StoreError {
  return new StoreError(404, 'NotFound', `${qualifiedResource(info)} "${name}" not found`);
}

/** 404 `namespaces "x" not found`: the object's namespace does not exist. */
export function namespaceNotFound(namespace: string): StoreError {
  return new StoreError(404, 'NotFound', `namespaces "${namespace}" not found`);
}

/** 409 `pods "x" already exists`. */
export function alreadyExists(info: ResourceInfo, name: string): StoreError {
  return new StoreError(409, 'AlreadyExists', `${qualifiedResource(info)} "${name}" already exists`);
}

/** 409 Conflict on a stale `metadata.resourceVersion`. */
export function conflict(info: ResourceInfo, name: string, detail = 'the object has been modified; please apply your changes to the latest version and try again'): StoreError {
  return new StoreError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": ${detail}`);
}

/** One field error of a 422 Invalid: `metadata.name: Required value: ...`. */
export interface FieldError {
  field: string;
  /** `Required value`, `Invalid value`, `Forbidden`, `Duplicate value`, `Unsupported value`. */
  type: string;
  /** The rejected value (shown quoted for `Invalid value`). */
  value?: unknown;
  detail: string;
}

/** Formats one field error as the API server does. */
export function formatFieldError(e: FieldError): string {
  const head = e.type === 'Invalid value' || e.type === 'Duplicate value' || e.type === 'Unsupported value' ? `${e.field}: ${e.type}: ${JSON.stringify(e.value)}` : `${e.field}: ${e.type}`;
  return e.detail ? `${head}: ${e.detail}` : head;
}

/** 422 `Pod "x" is invalid: metadata.name: ...` (several errors are listed in brackets). */
export function invalid(info: ResourceInfo, name: string, errors: FieldError[]): StoreError {
  const list = errors.map(formatFieldError);
  const body = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  // The API server qualifies the kind with its group outside the core group (`Job.batch "x" is invalid`).
  return new StoreError(422, 'Invalid', `${info.kind}${info.group ? `.${info.group}` : ''} "${name}" is invalid: ${body}`);
}

/** 400 BadRequest with a message. */
export function badRequest(message: string): StoreError {
  return new StoreError(400, 'BadRequest', message);
}

/** 403 Forbidden with a message. */
export function forbidden(message: string): StoreError {
  return new StoreError(403, 'Forbidden', message);
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(): StoreError {
  return new StoreError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** 410 Expired: a watch or list asked for a resourceVersion older than the retained history. */
export function expired(requested: string, oldest: number): StoreError {
  return new StoreError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** The error of an unsupported resource type: a programming error of an in-process caller. */
export function unknownResource(resource: string): StoreError {
  return new StoreError(404, 'NotFound', `the server could not find the requested resource (resource "${resource}" is not served by the cluster simulator)`);
}

/** A `Status` object (`kind: Status`) as the API server sends with every error. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: Array<{ reason?: string; message: string; field?: string }> };
  code: number;
}

/** The `Status` body of a failure; `details` names the resource (as `kind`, a plural) and object. */
export function statusBody(err: StoreError, details?: { name?: string; group?: string; kind?: string }): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason: err.reason, code: err.code };
  if (details && (details.name !== undefined || details.kind !== undefined)) {
    const d: NonNullable<StatusBody['details']> = {};
    if (details.name) d.name = details.name;
    if (details.group) d.group = details.group;
    if (details.kind) d.kind = details.kind;
    body.details = d;
  }
  return body;
}
