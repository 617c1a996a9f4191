/** Settings of the Kubernetes cluster, the stacks provisioned on it, and the actuation suite. */
import { ACCESS_MODES } from './setting.ts';
import { flag, kind, oneOf, positiveInt, positiveNumber, text, timerSeconds } from './kinds.ts';
import { setting } from './setting.ts';

/** Default of `BENCH_PROVISION_TIMEOUT_S`, cluster seconds. */
export const DEFAULT_PROVISION_TIMEOUT_S = 900;

const CLUSTER_USERS = 'the actuation suite, `BENCH_PROVISION`, `provision`, `launch`';

/** `simulator` or `kubeconfig`. */
const clusterMode = kind('simulator or kubeconfig', (t) => (t === 'simulator' || t === 'kubeconfig' ? t : undefined), (t) => `expected "simulator" or "kubeconfig", got "${t}"`);

/** A name fit for a Deployment and a Service (DNS-1035 label, at most 63 characters). */
const serviceName = kind('DNS-1035 label', (t) => (/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(t) ? t : undefined),
  (t) => `"${t}" is not a valid Service name (lowercase letters, digits and "-", starting with a letter, at most 63 characters)`);

/** Cluster access. */
export const CLUSTER_SETTINGS = {
  BENCH_CLUSTER: setting({
    area: 'cluster', kind: clusterMode, appliesTo: CLUSTER_USERS, defaultText: '`kubeconfig` when one is found, else `simulator`',
    meaning: 'A real cluster through the kubeconfig, or the embedded cluster simulator.',
  }),
  BENCH_KUBECONFIG: setting({
    area: 'cluster', kind: text('path'), appliesTo: CLUSTER_USERS, defaultText: '`KUBECONFIG`, `~/.kube/config`, else the in-cluster service account',
    meaning: 'The kubeconfig file to use.',
  }),
  BENCH_KUBE_CONTEXT: setting({
    area: 'cluster', kind: text('context name'), appliesTo: CLUSTER_USERS, defaultText: "the kubeconfig's current context",
    meaning: 'The kubeconfig context to use.',
  }),
  BENCH_NAMESPACE: setting({
    area: 'cluster', kind: text('namespace'), appliesTo: CLUSTER_USERS, defaultText: "the context's namespace",
    meaning: 'The namespace benchmarks create their objects in.',
  }),
  BENCH_CLUSTER_TIME_SCALE: setting({
    area: 'cluster', kind: positiveNumber, appliesTo: 'the embedded cluster simulator', defaultText: '0.02',
    meaning: 'Wall seconds per simulated cluster second.',
  }),
  KUBECONFIG: setting({
    area: 'cluster', kind: text('paths'), appliesTo: CLUSTER_USERS, defaultText: '`~/.kube/config`',
    meaning: 'The kubeconfig files, as kubectl reads them.',
  }),
  KUBERNETES_SERVICE_HOST: setting({
    area: 'cluster', kind: text('host'), appliesTo: 'in a pod (set by Kubernetes)', setByTool: true,
    meaning: 'Marks a process running in a pod: the service-account token is used.',
  }),
};

/** Provisioning a standalone stack. */
export const PROVISION_SETTINGS = {
  BENCH_PROVISION: setting({
    area: 'provisioning', kind: text('path'), appliesTo: 'every suite measuring a target',
    meaning: 'Template of a stack to provision for the run and delete after it; the stack is the target.',
  }),
  BENCH_PROVISION_URL: setting({
    area: 'provisioning', kind: text('http(s) base URL'), appliesTo: '`BENCH_PROVISION`, `provision`',
    meaning: 'A URL in front of the stack (gateway, route): access mode `url`.',
  }),
  BENCH_PROVISION_ACCESS: setting({
    area: 'provisioning', kind: oneOf(ACCESS_MODES), appliesTo: '`BENCH_PROVISION`, `provision`',
    defaultText: 'a given URL, else ClusterIP on the simulator, else service DNS in a pod, else port-forward',
    meaning: 'How the stack is reached.',
  }),
  BENCH_PROVISION_TIMEOUT_S: setting({
    area: 'provisioning', kind: timerSeconds, appliesTo: '`BENCH_PROVISION`, `provision`', default: DEFAULT_PROVISION_TIMEOUT_S,
    meaning: 'Rollout timeout, cluster seconds.',
  }),
  BENCH_PROVISION_NAME: setting({
    area: 'provisioning', kind: serviceName, appliesTo: '`BENCH_PROVISION`, `provision`', defaultText: '`vllm-standalone-<run suffix>`',
    meaning: '`STACK_NAME` of the provisioned objects.',
  }),
  BENCH_PROVISION_DRY_RUN: setting({
    area: 'provisioning', kind: flag, appliesTo: '`BENCH_PROVISION`', default: false,
    meaning: 'Print the manifests; create nothing, measure nothing.',
  }),
};

/** The actuation (dual-pods) suite. */
export const ACTUATION_SETTINGS = {
  BENCH_ITERATIONS: setting({
    area: 'actuation', kind: positiveInt, appliesTo: '`suites/actuation`',
    meaning: 'Iterations of every actuation scenario.',
  }),
  BENCH_REPLICAS: setting({
    area: 'actuation', kind: positiveInt, appliesTo: '`suites/actuation`',
    meaning: 'Replicas of every actuation scenario.',
  }),
  BENCH_WAIT_TIMEOUT_S: setting({
    area: 'actuation', kind: timerSeconds, appliesTo: '`suites/actuation`, the `servingDuo` fixture', defaultText: "the file's `defaults.wait_timeout_s`; 600 for `servingDuo`",
    meaning: 'How long to wait for a server to become ready, cluster seconds.',
  }),
  BENCH_TEMPLATE: setting({
    area: 'actuation', kind: text('path'), appliesTo: '`suites/actuation`, the `servingDuo` fixture', defaultText: "the file's `defaults.template`",
    meaning: 'The server-requesting Pod template of every scenario.',
  }),
  BENCH_DPC_NAMESPACE: setting({
    area: 'actuation', kind: text('namespace'), appliesTo: '`suites/actuation`', defaultText: "the benchmark's namespace",
    meaning: "Namespace of the dual-pods controller's pod.",
  }),
};
