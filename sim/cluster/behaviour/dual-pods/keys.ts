/**
 * The names the dual-pods protocol writes into objects: annotation, label and finalizer keys,
 * built from one prefix so the older convention can be emulated by swapping it.
 *
 * Current convention (protocol section 2.1, `FMA:pkg/api/interface.go`): prefix
 * `dual-pods.llm-d.ai/`, direct providers named by `generateName: <requester>-dual-`.
 * Older convention (protocol section 1, before FMA commits `9f907da` and `eb7b80f`/`b61441d`):
 * prefix `dual-pod.llm-d.ai/`, the direct provider named `<requester>-server`.
 */

/** Every key the controller reads or writes, for one naming convention. */
export interface DualPodsKeys {
  /** The prefix of every key (`dual-pods.llm-d.ai/` or, legacy, `dual-pod.llm-d.ai/`). */
  readonly prefix: string;
  /** Whether this is the older convention (provider named `<requester>-server`). */
  readonly legacy: boolean;
  /** Requester annotation holding the Go-template strategic merge patch (direct path, section 2.1). */
  readonly serverPatch: string;
  /** Requester annotation naming an InferenceServerConfig (launcher path, section 2.1). */
  readonly inferenceServerConfig: string;
  /** Requester annotation naming the SPI port (default "8081", section 2.1). */
  readonly adminPort: string;
  /** Requester annotation `{"Errors":[...]}` written by the controller (section 2.2). */
  readonly status: string;
  /** Annotation with the comma-separated GPU UUIDs, on requester and direct provider (section 2.2, 2.4). */
  readonly accelerators: string;
  /** Provider annotation `"<requesterUID> <requesterName>"`: the authoritative binding (section 2.4). */
  readonly requester: string;
  /** Direct provider annotation: the nominal hash (section 2.4). */
  readonly nominal: string;
  /** Launcher annotation: node-specific hash of the LauncherConfig's template (section 2.4). */
  readonly launcherConfigHash: string;
  /** Launcher annotation: node-independent template hash (section 2.4). */
  readonly launcherPopulatorTemplateHash: string;
  /** Bound launcher annotations (section 2.4, "Binding"). */
  readonly instanceId: string;
  readonly serverPort: string;
  readonly vllmConfig: string;
  readonly iscRoutingMetadata: string;
  /** Launcher annotation the notifier sidecar patches when the instance set changes (section 5). */
  readonly vllmInstanceSignature: string;
  /** Label: on the requester the provider's name, on the provider the requester's name (section 2.2, 2.4). */
  readonly dual: string;
  /** Requester label with the launcher instance ID while bound (section 2.2). */
  readonly instance: string;
  /** Provider label `"true"|"false"` (section 9.1). */
  readonly sleeping: string;
  /** Launcher labels (section 2.4, "Cold launcher creation"). */
  readonly launcherConfigName: string;
  readonly nodeName: string;
  /** Launcher label the populator sets on a launcher stuck scheduling or starting (section 5). */
  readonly launcherStuck: string;
  /** Finalizer on the requester while the provider's inference-server container runs (section 2.2). */
  readonly requesterFinalizer: string;
  /** Finalizer on a bound provider (section 2.4). */
  readonly providerFinalizer: string;
}

/** The current prefix. */
export const CURRENT_PREFIX = 'dual-pods.llm-d.ai/';
/** The older prefix (protocol section 1). */
export const LEGACY_PREFIX = 'dual-pod.llm-d.ai/';

/** Builds the key set of one convention. */
export function dualPodsKeys(legacy = false): DualPodsKeys {
  const p = legacy ? LEGACY_PREFIX : CURRENT_PREFIX;
  return {
    prefix: p,
    legacy,
    serverPatch: `${p}server-patch`,
    inferenceServerConfig: `${p}inference-server-config`,
    adminPort: `${p}admin-port`,
    status: `${p}status`,
    accelerators: `${p}accelerators`,
    requester: `${p}requester`,
    nominal: `${p}nominal`,
    launcherConfigHash: `${p}launcher-config-hash`,
    launcherPopulatorTemplateHash: `${p}launcher-populator-template-hash`,
    instanceId: `${p}instance-id`,
    serverPort: `${p}server-port`,
    vllmConfig: `${p}vllm-config`,
    iscRoutingMetadata: `${p}isc-routing-metadata`,
    vllmInstanceSignature: `${p}vllm-instance-signature`,
    dual: `${p}dual`,
    instance: `${p}instance`,
    sleeping: `${p}sleeping`,
    launcherConfigName: `${p}launcher-config-name`,
    nodeName: `${p}node-name`,
    launcherStuck: `${p}launcher-stuck`,
    requesterFinalizer: `${p}requester`,
    providerFinalizer: `${p}provider`,
  };
}

/** Name of the requester's and provider's main container (section 2.1, `interface.go:69`). */
export const INFERENCE_SERVER_CONTAINER = 'inference-server';
/** Default SPI port of the requester (section 2.1). */
export const DEFAULT_ADMIN_PORT = '8081';
/** The launcher's REST port (section 5, `LauncherServicePort`). */
export const LAUNCHER_PORT = 8001;
/** ConfigMap mapping GPU UUIDs to indices per node (section 2.2). */
export const GPU_MAP_NAME = 'gpu-map';
/** Field manager of the controller's writes (managed-fields time orders the sleeper budget, section 2.4). */
export const CONTROLLER_NAME = 'dual-pods-controller';
/** Field manager and event source of the launcher populator. */
export const POPULATOR_NAME = 'launcher-populator';
/** Label and value every launcher Pod carries (section 2.4). */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const LAUNCHER_COMPONENT = 'launcher';
/** Node label the controller pins providers with (section 2.4, "Node binding"). */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** Extended resource of a GPU (section 2.2). */
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** API group and version of the FMA custom resources (section 5, "CRDs"). */
export const FMA_API_VERSION = 'fma.llm-d.ai/v1alpha1';
/** Keys of the launcher's VllmConfig annotations (`launcherclient.go`). */
export const VLLM_ISC_NAME_ANNOTATION = 'isc-name';
export const VLLM_INFERENCE_PORT_ANNOTATION = 'inference-port';
