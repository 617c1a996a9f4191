import type { ClusterClock } from '../clock.ts';
import type { Store } from '../store-types.ts';
import { DeploymentController } from './deployment-controller.ts';
import { EndpointsController } from './endpoints-controller.ts';
import { JobController } from './job-controller.ts';
import { PvcBinder } from './pvc-binder.ts';
import { ReplicaSetController } from './replicaset-controller.ts';
import { ServiceProxy, type ProxiedPort } from './service-proxy.ts';

/**
 * The generic controllers a cluster runs besides the API server (kube-controller-manager's
 * ReplicaSet, Deployment, Endpoints and Job controllers, a PersistentVolumeClaim binder, and kube-proxy), over the in-process store and
 * driven by its watch events. The garbage collector and the ClusterIP allocator live in the store
 * itself. The scheduler, kubelet and dual-pods controller are in `behaviour/`.
 */

/** Options of {@link startKubeControllers}. */
export interface KubeControllersOptions {
  store: Store;
  clock: ClusterClock;
  /** Run the Service proxy on 127.2.x.y ClusterIPs (default true). */
  proxy?: boolean;
}

/** Running controllers. */
export interface KubeControllers {
  /** The state of every proxied Service port (empty without the proxy). */
  proxyStatus(): ProxiedPort[];
  /** Stops every controller (watches, queues, timers) and the proxy (listeners, connections). */
  stop(): Promise<void>;
}

/** Starts the ReplicaSet, Deployment, Endpoints and Job controllers, the claim binder and (unless disabled) the Service proxy. */
export function startKubeControllers(opts: KubeControllersOptions): KubeControllers {
  const controllers = [
    new ReplicaSetController(opts.store, opts.clock),
    new DeploymentController(opts.store, opts.clock),
    new EndpointsController(opts.store, opts.clock),
    new JobController(opts.store, opts.clock),
    new PvcBinder(opts.store),
  ];
  const proxy = opts.proxy === false ? undefined : new ServiceProxy(opts.store);
  for (const c of controllers) c.start();
  proxy?.start();
  let stopping: Promise<void> | undefined;
  return {
    proxyStatus: () => proxy?.status() ?? [],
    stop: () =>
      (stopping ??= (async () => {
        for (const c of controllers) c.stop();
        await proxy?.stop();
      })()),
  };
}
