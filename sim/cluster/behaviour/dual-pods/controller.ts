/**
 * Wiring of the emulated controller: watches on the store turn events into work items on the
 * per-node queues, as the informers' event handlers do in FMA's `controller.go` (protocol
 * section 9.3: "triggered by any event on the requester, provider, launcher, ISC, LC, or
 * gpu-map"). Callbacks only enqueue; the work runs later on the queues' timers, never inside a
 * store mutation.
 * - requester Pods (`server-patch` / `inference-server-config`): ignored until scheduled
 *   (section 9.3 A), then their item on their node;
 * - bound providers and launchers: their requester's item;
 * - unbound launchers: a launcher sync item; unbound direct providers: the node's unbound
 *   requesters (a sleeper-budget deletion finishing, a sleeper appearing);
 * - nodes: every server on the node; `gpu-map`: parsed, then every server;
 * - InferenceServerConfig / LauncherConfig: every server, plus an instance GC per node on an
 *   ISC change.
 */
import type { WatchEvent } from '../../store-types.ts';
import { DpcCore } from './controller-core.ts';
import { parseGpuMap } from './gpu-map.ts';
import { COMPONENT_LABEL, GPU_MAP_NAME, LAUNCHER_COMPONENT } from './keys.ts';
import { processInstanceGc, processUnboundLauncher } from './launcher-sync.ts';
import { boundRequester, isRequester, nodeNameOf } from './pod-util.ts';
import type { LauncherPopulator } from './populator.ts';
import { processServer } from './reconcile.ts';
import type { Runtime } from './runtime.ts';

/** Subscribes the controller (and populator) to the store; returns the unsubscribe functions. */
export function wireController(rt: Runtime, core: DpcCore, populator: LauncherPopulator | undefined): Array<() => void> {
  const k = rt.keys;
  core.items = {
    server: (node, uid, name) => ({ key: `inf:${uid}`, process: () => processServer(core, node, uid, name) }),
    launcher: (node, name) => ({ key: `launcher:${name}`, process: () => processUnboundLauncher(core, node, name) }),
    instanceGc: (node, isc) => ({ key: `gc:${isc}`, process: () => processInstanceGc(core, node, isc) }),
  };

  const onPod = ({ object: pod }: WatchEvent): void => {
    const labels = pod.metadata.labels ?? {};
    const isLauncher = labels[COMPONENT_LABEL] === LAUNCHER_COMPONENT;
    if (isLauncher) populator?.trigger();
    const node = nodeNameOf(pod) || labels[k.nodeName] || '';
    if (isRequester(pod, k)) {
      if (nodeNameOf(pod)) core.enqueueServer(nodeNameOf(pod), pod.metadata.uid ?? '', pod.metadata.name ?? '');
      return;
    }
    if (!node) return;
    const bound = boundRequester(pod, k);
    if (bound) core.enqueueServer(node, bound.uid, bound.name);
    else if (isLauncher) core.queue(node).add(core.items.launcher(node, pod.metadata.name ?? ''));
    else if (pod.metadata.annotations?.[k.nominal]) core.enqueueUnboundServers(node);
  };

  const onNode = ({ object: node }: WatchEvent): void => {
    populator?.trigger();
    const name = node.metadata.name ?? '';
    for (const sd of core.nodeData(name).servers.values()) core.enqueueServer(name, sd.uid, sd.requesterName);
  };

  const onConfigMap = ({ type, object: cm }: WatchEvent): void => {
    if (cm.metadata.name !== GPU_MAP_NAME) return;
    const log = core.logger.at('controller.go:1');
    if (type === 'DELETED') {
      core.gpuMap = undefined;
      log.info(1, `ConfigMap ${GPU_MAP_NAME} does not exist`);
    } else {
      const { map, problems } = parseGpuMap(cm);
      for (const p of problems) log.error(new Error(p), 'A GPU map entry failed to parse as JSON');
      core.gpuMap = map;
      log.info(1, 'Parsed GPU map', 'numNodes', Object.keys((cm.data ?? {}) as object).length, 'numGPUs', map.size);
    }
    core.enqueueAllServers();
  };

  const onIsc = ({ type, object: isc }: WatchEvent): void => {
    core.enqueueAllServers();
    if (type === 'MODIFIED') for (const node of core.nodeNames()) core.queue(node).add(core.items.instanceGc(node, isc.metadata.name ?? ''));
  };

  const onConfig = (): void => {
    core.enqueueAllServers();
    populator?.trigger();
  };

  const subscriptions: Array<[string, string | undefined, (e: WatchEvent) => void]> = [
    ['configmaps', rt.namespace, onConfigMap],
    ['nodes', undefined, onNode],
    ['inferenceserverconfigs', rt.namespace, onIsc],
    ['launcherconfigs', rt.namespace, onConfig],
    ['launcherpopulationpolicies', rt.namespace, onConfig],
    ['pods', rt.namespace, onPod],
  ];
  const unsubscribe: Array<() => void> = [];
  for (const [resource, ns, handler] of subscriptions) {
    try {
      unsubscribe.push(rt.store.watch(resource, ns, {}, (e) => {
        if (e.type !== 'BOOKMARK' && !rt.signal.aborted) handler(e);
      }));
    } catch (err) {
      core.logger.at('controller.go:1').error(err, 'Failed to watch', 'resource', resource);
    }
  }
  populator?.trigger();
  return unsubscribe;
}
