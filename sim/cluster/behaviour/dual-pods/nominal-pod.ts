/**
 * The nominal direct provider of a requester (protocol section 2.4, `getNominalServerProvidingPod`)
 * and its nominal hash, the identity the hit test compares (section 4.3).
 *
 * Procedure (section 2.1, "Direct provider"): take the requester's labels and spec, drop its
 * annotations, de-individualise the spec, render the `server-patch` template with
 * `{NodeName, LocalVolume}`, convert YAML to JSON, apply it as a strategic merge patch, hash the
 * patched JSON with the GPU indices and the node, decode strictly as a Pod, then pin it to the
 * node, hand it the GPUs through `CUDA_VISIBLE_DEVICES` and bind it to the requester.
 */
import { parse as parseYaml } from 'yaml';
import type { KObject } from '../../store-types.ts';
import { base64RawStd, cloneJson, goJson, sha256 } from './canonical-json.ts';
import { renderServerPatch } from './go-template.ts';
import { GPU_RESOURCE, HOSTNAME_LABEL, INFERENCE_SERVER_CONTAINER, type DualPodsKeys } from './keys.ts';
import { findUnknownField } from './pod-schema.ts';
import { strategicMergePod } from './strategic-merge.ts';

type JsonMap = Record<string, unknown>;
interface Container extends JsonMap {
  name?: string;
  env?: Array<{ name: string; value?: string }>;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
  readinessProbe?: { httpGet?: { port?: number | string } };
  volumeMounts?: Array<{ name: string }>;
}
interface PodSpec extends JsonMap {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string }>;
  nodeSelector?: Record<string, string>;
  nodeName?: string;
}

const API_ACCESS = /^kube-api-access-[a-z0-9]+$/;

/**
 * Removes what is specific to one Pod from a spec (section 2.1 step 2, `DeIndividualize`): the
 * ephemeral containers and the `kube-api-access-*` volume with its mounts. `nodeName` stays, so
 * a direct provider inherits the requester's node and skips the scheduler (section 2.4).
 */
export function deIndividualize(spec: PodSpec): PodSpec {
  const out = cloneJson(spec);
  delete out.ephemeralContainers;
  const idx = out.volumes?.findIndex((v) => API_ACCESS.test(v.name)) ?? -1;
  if (idx >= 0 && out.volumes) {
    const [vol] = out.volumes.splice(idx, 1);
    // Go's omitempty drops the emptied slices from the marshalled form, so drop them here too.
    if (out.volumes.length === 0) delete out.volumes;
    for (const c of [...(out.containers ?? []), ...(out.initContainers ?? [])]) {
      const m = c.volumeMounts?.findIndex((mnt) => mnt.name === vol?.name) ?? -1;
      if (m >= 0) c.volumeMounts?.splice(m, 1);
      if (c.volumeMounts?.length === 0) delete c.volumeMounts;
    }
  }
  return out;
}

/**
 * The inference-server container's index and port (section 2.4, "Port";
 * `GetInferenceServerContainerIndexAndPort`): the port of its `readinessProbe.httpGet`, with the
 * named port `http` meaning 80. Throws with the controller's wording.
 */
export function inferenceServerPort(spec: PodSpec | undefined): { index: number; port: number } {
  const index = spec?.containers?.findIndex((c) => c.name === INFERENCE_SERVER_CONTAINER) ?? -1;
  const c = index >= 0 ? spec?.containers?.[index] : undefined;
  if (!c) throw new Error(`container "${INFERENCE_SERVER_CONTAINER}" not found`);
  if (!c.readinessProbe) throw new Error('the inference server container has no readinessProbe');
  const port = c.readinessProbe.httpGet?.port;
  if (port === undefined) throw new Error('the readinessProbe is not an HTTPGet');
  if (typeof port === 'number') return { index, port };
  if (port === 'http' || port === 'HTTP') return { index, port: 80 };
  throw new Error(`unsupported readinessProbe port "${port}"`);
}

/** What the nominal provider is built from. */
export interface NominalInput {
  requester: KObject;
  keys: DualPodsKeys;
  /** GPU indices on the node, in the order of the UUIDs (`"0,1"` when joined). */
  gpuIndices: string[];
  /** GPU UUIDs as the requester reported them. */
  gpuUUIDs: string[];
}

/** The nominal provider, its hash and the inference port. */
export interface NominalProvider {
  pod: KObject;
  hash: string;
  serverPort: number;
}

/**
 * The nominal hash (section 2.4): base64 (standard, unpadded) of
 * SHA-256(patched-pod-JSON ∥ `;gpus=<indices>` ∥ `;node=<node>`).
 */
export function nominalHash(patchedPodJson: string, gpuIndicesStr: string, nodeName: string): string {
  return base64RawStd(sha256(patchedPodJson, ';gpus=', gpuIndicesStr, ';node=', nodeName));
}

/** Builds the nominal provider. Throws an Error whose message the controller puts in the requester's status. */
export function buildNominalProvider({ requester, keys, gpuIndices, gpuUUIDs }: NominalInput): NominalProvider {
  const meta = requester.metadata;
  const nodeName = String((requester.spec as PodSpec | undefined)?.nodeName ?? '');
  const template = meta.annotations?.[keys.serverPatch] ?? '';
  let rendered: string;
  try {
    rendered = renderServerPatch(template, { NodeName: nodeName, LocalVolume: '' });
  } catch (err) {
    throw new Error(`${(err as Error).message.includes('executing') ? 'failed to execute server patch template' : 'parse template'}: ${(err as Error).message}`);
  }
  let patch: unknown;
  try {
    patch = parseYaml(rendered, { version: '1.1' }) as unknown;
  } catch (err) {
    throw new Error(`failed to convert server patch yaml to json: ${(err as Error).message.split('\n')[0]}`);
  }
  // Go marshals the base Pod with empty TypeMeta (informer objects carry none), a null
  // creationTimestamp and an empty status; keep that shape so the hashed bytes have Go's form.
  const base: JsonMap = {
    metadata: { creationTimestamp: null, labels: meta.labels ?? {}, namespace: meta.namespace },
    spec: deIndividualize((requester.spec ?? {}) as PodSpec),
    status: {},
  };
  let patched: JsonMap;
  try {
    patched = strategicMergePod(base, patch);
  } catch (err) {
    throw new Error(`failed to apply server patch: ${(err as Error).message}`);
  }
  const gpuIndicesStr = gpuIndices.join(',');
  const hash = nominalHash(goJson(patched), gpuIndicesStr, nodeName);
  const unknown = findUnknownField(patched);
  if (unknown) throw new Error(`failed to unmarshal patched pod: strict decoding error: unknown field "${unknown}"`);

  const spec = cloneJson(patched.spec ?? {}) as PodSpec;
  spec.nodeSelector = { ...(spec.nodeSelector ?? {}), [HOSTNAME_LABEL]: nodeName };
  const { index, port } = inferenceServerPort(spec);
  const ctr = spec.containers![index]!;
  const env = (ctr.env ??= []);
  const cvd = env.find((e) => e.name === 'CUDA_VISIBLE_DEVICES');
  if (cvd) cvd.value = gpuIndicesStr;
  else env.push({ name: 'CUDA_VISIBLE_DEVICES', value: gpuIndicesStr });
  const resources = (ctr.resources ??= {});
  (resources.limits ??= {})[GPU_RESOURCE] = '0';
  (resources.requests ??= {})[GPU_RESOURCE] = '0';

  const pm = (patched.metadata ?? {}) as JsonMap;
  const requesterName = meta.name ?? '';
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(keys.legacy ? { name: `${requesterName}-server` } : { generateName: `${requesterName}-dual-` }),
      namespace: meta.namespace,
      labels: { ...((pm.labels as Record<string, string> | undefined) ?? {}), [keys.dual]: requesterName, [keys.sleeping]: 'false' },
      annotations: {
        ...((pm.annotations as Record<string, string> | undefined) ?? {}),
        [keys.nominal]: hash,
        [keys.requester]: `${meta.uid ?? ''} ${requesterName}`,
        [keys.accelerators]: gpuUUIDs.join(','),
      },
      finalizers: [...((pm.finalizers as string[] | undefined) ?? []), keys.providerFinalizer],
    },
    spec,
  };
  return { pod, hash, serverPort: port };
}
