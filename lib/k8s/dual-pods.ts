/**
 * The dual-pods vocabulary as the llm-d fast-model-actuation controller uses it
 * (`reference/dual-pods-protocol.md` sections 2 and 9.1), and the older convention that
 * deployments from before November 2025 still carry (`dual-pod.llm-d.ai/` prefix, provider named
 * `<requester>-server`), so both can be measured.
 */
export const PREFIX = 'dual-pods.llm-d.ai/';
export const LEGACY_PREFIX = 'dual-pod.llm-d.ai/';

/** Requester annotations (one of the two request styles). */
export const SERVER_PATCH = 'server-patch';
export const INFERENCE_SERVER_CONFIG = 'inference-server-config';
export const ADMIN_PORT = 'admin-port';

/** Labels and annotations the controller writes. */
export const DUAL_LABEL = `${PREFIX}dual`;
export const INSTANCE_LABEL = `${PREFIX}instance`;
export const SLEEPING_LABEL = `${PREFIX}sleeping`;
export const REQUESTER_ANNOTATION = `${PREFIX}requester`;
export const ACCELERATORS_ANNOTATION = `${PREFIX}accelerators`;
export const STATUS_ANNOTATION = `${PREFIX}status`;
export const LAUNCHER_COMPONENT_LABEL = 'app.kubernetes.io/component';
export const LAUNCHER_CONFIG_NAME_LABEL = `${PREFIX}launcher-config-name`;

/** The container the controller reads status from (protocol 2.1). */
export const INFERENCE_SERVER_CONTAINER = 'inference-server';

/** Which naming convention a requester uses, from its annotations. */
export type Convention = 'current' | 'legacy';

/** The request style and convention of a pod's annotations, or null when it is not a requester. */
export function requestStyle(annotations: Record<string, string> | undefined): { style: 'direct' | 'launcher'; convention: Convention; isc?: string } | null {
  if (!annotations) return null;
  for (const [prefix, convention] of [[PREFIX, 'current'], [LEGACY_PREFIX, 'legacy']] as const) {
    const isc = annotations[`${prefix}${INFERENCE_SERVER_CONFIG}`];
    if (isc) return { style: 'launcher', convention, isc };
    if (annotations[`${prefix}${SERVER_PATCH}`] !== undefined) return { style: 'direct', convention };
  }
  return null;
}

/** A label or annotation key under the convention's prefix. */
export function key(convention: Convention, name: string): string {
  return `${convention === 'legacy' ? LEGACY_PREFIX : PREFIX}${name}`;
}

/** The requester a provider is bound to, from its `requester` annotation (`"<uid> <name>"`). */
export function boundRequester(annotations: Record<string, string> | undefined, convention: Convention = 'current'): { uid: string; name: string } | null {
  const value = annotations?.[key(convention, 'requester')];
  if (!value) return null;
  const space = value.indexOf(' ');
  if (space <= 0) return { uid: value, name: '' };
  return { uid: value.slice(0, space), name: value.slice(space + 1) };
}

/** The provider name of the older convention, where a provider was `<requester>-server`. */
export function legacyProviderName(requesterName: string): string {
  return `${requesterName}-server`;
}
