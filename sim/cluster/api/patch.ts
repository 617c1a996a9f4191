import { StoreError, type KObject, type PatchType } from '../store-types.ts';
import { badRequest } from './errors.ts';
import { applyJsonPatch } from './json-patch.ts';
import { applyMergePatch, applyStrategicMergePatch } from './merge-patch.ts';
import type { ResourceInfo } from './resources.ts';

/**
 * One entry point for the four patch types the API server takes, chosen by the request's
 * Content-Type. Server-side apply (`application/apply-patch+yaml`) is applied as a merge patch
 * of the applied configuration: no field ownership, no conflicts.
 */

/** Content-Type of each patch type. */
export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** The patch type of a Content-Type header, or undefined when it names none. */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  for (const [type, ct] of Object.entries(PATCH_CONTENT_TYPES)) if (ct === media) return type as PatchType;
  if (media === 'application/apply-patch+json') return 'apply';
  return undefined;
}

/** The 415 the API server answers for a patch Content-Type it does not accept for `info`. */
export function unsupportedPatch(info: ResourceInfo | undefined, contentType: string | undefined): StoreError {
  const accepted = info?.custom ? ['json', 'merge', 'apply'] : ['json', 'merge', 'strategic', 'apply'];
  return new StoreError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.map((t) => PATCH_CONTENT_TYPES[t as PatchType]).join(', ')} (got ${JSON.stringify(contentType ?? '')})`,
  );
}

/**
 * Applies `patch` of `type` to `current` (not modified) and returns the patched object. Custom
 * resources reject strategic merge patch with 415, as a real API server does.
 */
export function applyPatch(current: KObject, patch: unknown, type: PatchType, info?: ResourceInfo): KObject {
  let out: unknown;
  switch (type) {
    case 'json':
      out = applyJsonPatch(current, patch);
      break;
    case 'merge':
    case 'apply':
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest(`${type} patch must be a JSON object`);
      out = applyMergePatch(current, patch);
      break;
    case 'strategic':
      if (info?.custom) throw unsupportedPatch(info, PATCH_CONTENT_TYPES.strategic);
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest('strategic merge patch must be a JSON object');
      out = applyStrategicMergePatch(current, patch);
      break;
    default:
      throw badRequest(`unknown patch type ${JSON.stringify(type)}`);
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) throw new StoreError(422, 'Invalid', 'the patched document is not an object');
  const obj = out as KObject;
  if (obj.metadata === null || typeof obj.metadata !== 'object') throw new StoreError(422, 'Invalid', 'the patch removed metadata');
  return obj;
}
