/**
 * The controller's in-memory state (`serverData`, `launcherData`, `nodeData` in FMA's
 * `inference-server.go`): per inference server (keyed by the requester's UID), per launcher, and
 * per node. It is a cache of what was learned over HTTP; the binding itself lives in the
 * provider's `requester` annotation (protocol section 2.4, "No ownerReferences").
 */
import type { KObject } from '../../store-types.ts';
import type { VllmConfig } from './instance-id.ts';

/** What the controller knows about one inference server (one requester). */
export interface ServerData {
  readonly uid: string;
  readonly requesterName: string;
  /** GPU UUIDs from the requester's SPI (queried once, section 9.3 B). */
  gpuIds?: string[];
  /** GPU indices on the node (direct path, via `gpu-map`). */
  gpuIndices?: string[];
  /** Cached nominal provider and hash (direct path). */
  nominalPod?: KObject;
  nominalHash?: string;
  /** The inference port of the provider. */
  serverPort?: number;
  /** Whether the bound server sleeps; undefined = unknown (query `/is_sleeping`). */
  sleeping?: boolean;
  /** The readiness last relayed (or found already in place). */
  readinessRelayed?: boolean;
  /** The first positive relay happened (the actuation histogram is observed once). */
  firstReadyRelayed: boolean;
  /** Actuation path flags (launcher only; section 3 "the M2-is-always-hot quirk"). */
  neededNewLauncher: boolean;
  neededNewInstance: boolean;
  /** IDs of vLLM instances deleted in the course of this actuation (`instancesDeleted` label). */
  instancesDeleted: Set<string>;
  /** Bound provider's name. */
  providingPodName?: string;
  /** Launcher instance bound to (launcher path). */
  instanceId?: string;
  instanceConfig?: VllmConfig;
  iscLabels?: Record<string, string>;
  iscAnnotations?: Record<string, string>;
  /** ISC routing labels are on the launcher (applied once serving, FMA#629). */
  labelsApplied: boolean;
  /** The instance was seen or created on the launcher. */
  instanceKnownToExist: boolean;
  /** The controller asked to delete the requester. */
  requesterDeleteRequested: boolean;
  /** `fma_duality` is 1 for this server. */
  dualityAsserted: boolean;
}

/** What the controller knows about one launcher Pod: last-used time per instance (LRU). */
export interface LauncherData {
  instances: Map<string, number>;
}

/** Per-node state. */
export interface NodeData {
  readonly servers: Map<string, ServerData>;
  readonly launchers: Map<string, LauncherData>;
}

/** A fresh ServerData. */
export function newServerData(uid: string, requesterName: string): ServerData {
  return {
    uid,
    requesterName,
    firstReadyRelayed: false,
    neededNewLauncher: false,
    neededNewInstance: false,
    instancesDeleted: new Set(),
    labelsApplied: false,
    instanceKnownToExist: false,
    requesterDeleteRequested: false,
    dualityAsserted: false,
  };
}

/** The launcher data of a Pod, created on first use. */
export function launcherData(node: NodeData, name: string): LauncherData {
  let d = node.launchers.get(name);
  if (!d) {
    d = { instances: new Map() };
    node.launchers.set(name, d);
  }
  return d;
}
