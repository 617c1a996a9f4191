/**
 * The simulated cluster's control plane: the object store, the HTTP API server the real
 * `@kubernetes/client-node` talks to, a kubeconfig for it, and the generic controllers
 * (ReplicaSet, Deployment, Endpoints, Service proxy).
 */
export { createStore, SYSTEM_NAMESPACES, type ClusterStore, type StoreOptions } from './store.ts';
export { startApiServer, type AdminHandler, type AdminRequest, type ApiServer, type ApiServerOptions } from './server.ts';
export { kubeconfigYaml, writeKubeconfig, type KubeconfigOptions } from './kubeconfig.ts';
export { startKubeControllers, type KubeControllers, type KubeControllersOptions } from './kube-controllers.ts';
export type { Authorizer, RequestAttributes, UserResolver, Verb } from './authz.ts';
export type { PodLogLine, PodLogQuery, PodLogSource } from './handler-context.ts';
export type { DeleteOptions } from './deletion.ts';
export type { ProxiedPort } from './service-proxy.ts';
export { SERVICE_CIDR } from './cluster-ip.ts';
export { RESOURCES, resourceInfo, type ResourceInfo } from './resources.ts';
export { parseLabelSelector, matchesLabels, type LabelRequirement } from './label-selector.ts';
export { parseFieldSelector, matchesFields, type FieldRequirement } from './field-selector.ts';
export { applyPatch } from './patch.ts';
