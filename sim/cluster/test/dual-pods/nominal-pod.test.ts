import { describe, expect, it } from 'vitest';
import { dualPodsKeys } from '../../behaviour/dual-pods/keys.ts';
import { buildNominalProvider, deIndividualize, inferenceServerPort, nominalHash } from '../../behaviour/dual-pods/nominal-pod.ts';
import type { KObject } from '../../store-types.ts';

const keys = dualPodsKeys();
const PATCH = [
  'metadata:',
  '  labels:',
  '    app: null',
  'spec:',
  '  containers:',
  '  - name: inference-server',
  '    image: vllm:{{ .NodeName }}',
  '    readinessProbe:',
  '      httpGet:',
  '        path: /health',
  '        port: 8000',
  '',
].join('\n');

function requester(patch = PATCH, labels: Record<string, string> = { app: 'dp', role: 'server' }): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'req-abc12', namespace: 'ns', uid: 'uid-1', labels, annotations: { [keys.serverPatch]: patch, other: 'dropped' } },
    spec: {
      nodeName: 'node-a',
      containers: [
        {
          name: 'inference-server',
          image: 'requester:1',
          ports: [{ containerPort: 8080 }],
          resources: { limits: { 'nvidia.com/gpu': '1' } },
          volumeMounts: [{ name: 'kube-api-access-abc12', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        },
      ],
      volumes: [{ name: 'kube-api-access-abc12', projected: {} }],
      ephemeralContainers: [{ name: 'debug' }],
    },
  };
}

// The patched Pod as Go's StrategicMergePatch returns it (keys sorted, emptied slices omitted).
const PATCHED_JSON =
  '{"metadata":{"creationTimestamp":null,"labels":{"role":"server"},"namespace":"ns"},"spec":{"containers":[{"image":"vllm:node-a","name":"inference-server","ports":[{"containerPort":8080}],' +
  '"readinessProbe":{"httpGet":{"path":"/health","port":8000}},"resources":{"limits":{"nvidia.com/gpu":"1"}}}],"nodeName":"node-a"},"status":{}}';

describe('nominal direct provider (protocol 2.1, 2.4)', () => {
  it('hashes patched JSON, GPU indices and node as base64 raw std of SHA-256 (hand-computed with openssl)', () => {
    expect(nominalHash('abc', '2', 'n1')).toBe('EF4Hqy6ENTmmDq4MTNyHAV1ZNFFwSZa1k1QGz9OYHw0');
  });

  it('builds the provider: hash over the patched spec, node pinning, CUDA_VISIBLE_DEVICES, GPU 0, binding metadata', () => {
    const { pod, hash, serverPort } = buildNominalProvider({ requester: requester(), keys, gpuIndices: ['1'], gpuUUIDs: ['GPU-uuid-1'] });
    // printf '%s' "$PATCHED_JSON;gpus=1;node=node-a" | openssl dgst -sha256 -binary | base64 | tr -d =
    expect(hash).toBe('HRjKInEWLxZ7/xW1s9xEeIOd5EXHea/wsdglOxvG148');
    expect(nominalHash(PATCHED_JSON, '1', 'node-a')).toBe(hash);
    expect(serverPort).toBe(8000);
    expect(pod.metadata.generateName).toBe('req-abc12-dual-');
    expect(pod.metadata.name).toBeUndefined();
    expect(pod.metadata.labels).toEqual({ role: 'server', [keys.dual]: 'req-abc12', [keys.sleeping]: 'false' });
    expect(pod.metadata.annotations).toEqual({ [keys.nominal]: hash, [keys.requester]: 'uid-1 req-abc12', [keys.accelerators]: 'GPU-uuid-1' });
    expect(pod.metadata.finalizers).toEqual([keys.providerFinalizer]);
    const spec = pod.spec as { nodeName: string; nodeSelector: Record<string, string>; volumes?: unknown; ephemeralContainers?: unknown; containers: Array<Record<string, any>> };
    expect(spec.nodeName).toBe('node-a');
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'node-a' });
    expect(spec.volumes).toBeUndefined();
    expect(spec.ephemeralContainers).toBeUndefined();
    expect(spec.containers[0]!.env).toEqual([{ name: 'CUDA_VISIBLE_DEVICES', value: '1' }]);
    expect(spec.containers[0]!.resources).toEqual({ limits: { 'nvidia.com/gpu': '0' }, requests: { 'nvidia.com/gpu': '0' } });
    expect(spec.containers[0]!.volumeMounts).toBeUndefined();
  });

  it('gives the same hash to requesters of one template on the same node and GPU, a different one on another GPU', () => {
    const a = buildNominalProvider({ requester: requester(), keys, gpuIndices: ['0'], gpuUUIDs: ['u0'] });
    const b = buildNominalProvider({ requester: { ...requester(), metadata: { ...requester().metadata, name: 'req-zzz99', uid: 'uid-2' } }, keys, gpuIndices: ['0'], gpuUUIDs: ['u0'] });
    const c = buildNominalProvider({ requester: requester(), keys, gpuIndices: ['1'], gpuUUIDs: ['u1'] });
    expect(a.hash).toBe('c2eHJiljKQo9j72O5DxMgzf5+Bbor2xmTotrPwpAxSU');
    expect(b.hash).toBe(a.hash);
    expect(c.hash).not.toBe(a.hash);
  });

  it('names the provider <requester>-server under the older convention', () => {
    const legacy = dualPodsKeys(true);
    const req = requester();
    req.metadata.annotations = { [legacy.serverPatch]: PATCH };
    const { pod } = buildNominalProvider({ requester: req, keys: legacy, gpuIndices: ['0'], gpuUUIDs: ['u0'] });
    expect(pod.metadata.name).toBe('req-abc12-server');
    expect(pod.metadata.generateName).toBeUndefined();
    expect(Object.keys(pod.metadata.annotations ?? {}).every((k) => k.startsWith('dual-pod.llm-d.ai/'))).toBe(true);
  });

  it('reports template, YAML, strict-decoding and port errors in the controller wording', () => {
    const build = (patch: string) => () => buildNominalProvider({ requester: requester(patch), keys, gpuIndices: ['0'], gpuUUIDs: ['u0'] });
    expect(build('a: {{ .Nope }}')).toThrow(/^failed to execute server patch template: template: serverPatch:1:6: executing/);
    expect(build('a: {{ .NodeName')).toThrow(/^parse template: template: serverPatch:1: unclosed action/);
    expect(build('spec: [unclosed')).toThrow(/^failed to convert server patch yaml to json/);
    expect(build('spec:\n  containers:\n  - name: inference-server\n    imagee: x\n')).toThrow('failed to unmarshal patched pod: strict decoding error: unknown field "spec.containers[0].imagee"');
    expect(build('metadata:\n  labels:\n    app: null\n')).toThrow('the inference server container has no readinessProbe');
  });

  it('de-individualises only the api-access volume and its mounts', () => {
    const spec = deIndividualize({ volumes: [{ name: 'data' }, { name: 'kube-api-access-x1y2z' }], containers: [{ name: 'c', volumeMounts: [{ name: 'data' }, { name: 'kube-api-access-x1y2z' }] }] });
    expect(spec).toEqual({ volumes: [{ name: 'data' }], containers: [{ name: 'c', volumeMounts: [{ name: 'data' }] }] });
  });

  it('takes the port from the readiness probe; "http" means 80', () => {
    const spec = (port: number | string) => ({ containers: [{ name: 'side' }, { name: 'inference-server', readinessProbe: { httpGet: { port } } }] });
    expect(inferenceServerPort(spec(8000))).toEqual({ index: 1, port: 8000 });
    expect(inferenceServerPort(spec('http'))).toEqual({ index: 1, port: 80 });
    expect(() => inferenceServerPort(spec('metrics'))).toThrow('unsupported readinessProbe port "metrics"');
    expect(() => inferenceServerPort({ containers: [{ name: 'x' }] })).toThrow('container "inference-server" not found');
  });
});
