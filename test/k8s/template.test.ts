import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/index.ts';
import { renderTemplateText, RUN_LABEL } from '../../lib/k8s/template.ts';

const DIRECT = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: \${REPLICASET_NAME}
spec:
  replicas: 0
  selector:
    matchLabels: { app: dp-example }
  template:
    metadata:
      labels: { app: dp-example }
      annotations:
        dual-pods.llm-d.ai/admin-port: "8081"
        dual-pods.llm-d.ai/server-patch: |
          metadata:
            labels: { app: null }
          spec:
            containers:
            - name: inference-server
              image: vllm/vllm-openai:v0.11.0
              command: [vllm, serve, --model=\${MODEL_REGISTRY:-ibm-granite}/\${MODEL_REPO:-granite-3.3-2b-instruct}]
    spec:
      containers:
      - name: inference-server
        image: \${CONTAINER_IMG_REG}/requester:\${CONTAINER_IMG_VERSION}
`;

describe('renderTemplateText', () => {
  const base = { file: 'req.yaml', runId: 'run-1', env: { CONTAINER_IMG_REG: 'ghcr.io/x', CONTAINER_IMG_VERSION: 'v0.6.0' } };

  it('substitutes variables from vars, then env, then defaults, and labels objects and pods with the run', () => {
    const r = renderTemplateText(DIRECT, { ...base, vars: { REPLICASET_NAME: 'baseline-1-abc' } });
    expect(r.workload.metadata.name).toBe('baseline-1-abc');
    expect(r.style).toBe('direct');
    expect(r.convention).toBe('current');
    expect(r.selector).toBe('app=dp-example');
    const tpl = (r.workload.spec as { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { containers: Array<{ image: string }> } } }).template;
    expect(tpl.spec.containers[0]!.image).toBe('ghcr.io/x/requester:v0.6.0');
    expect(tpl.metadata.annotations['dual-pods.llm-d.ai/server-patch']).toContain('--model=ibm-granite/granite-3.3-2b-instruct');
    expect(tpl.metadata.labels).toEqual({ app: 'dp-example', [RUN_LABEL]: 'run-1' });
    expect(r.workload.metadata.labels).toEqual({ [RUN_LABEL]: 'run-1' });
    expect(r.warnings).toEqual([]);
  });

  it('names every unset variable and the file, in one error', () => {
    expect(() => renderTemplateText(DIRECT, { file: 'req.yaml', runId: 'r', env: {}, vars: { REPLICASET_NAME: 'x' } })).toThrow(
      /^req\.yaml: 2 problems[^]*CONTAINER_IMG_REG is not set\n[^]*CONTAINER_IMG_VERSION is not set$/,
    );
  });

  it('rejects a template without a requester annotation before anything is created', () => {
    const plain = DIRECT.replace(/dual-pods\.llm-d\.ai\/server-patch/, 'example.com/other');
    expect(() => renderTemplateText(plain, { ...base, vars: { REPLICASET_NAME: 'x' } })).toThrow(ConfigError);
    expect(() => renderTemplateText(plain, { ...base, vars: { REPLICASET_NAME: 'x' } })).toThrow(/no ReplicaSet or Deployment whose pod template carries a requester annotation/);
  });

  it('reports invalid YAML with its line', () => {
    expect(() => renderTemplateText('kind: [unclosed\n', base)).toThrow(/req\.yaml:\d+:\d+: invalid YAML/);
  });

  it('accepts the older prefix and warns that current controllers ignore it', () => {
    const legacy = DIRECT.replaceAll('dual-pods.llm-d.ai/', 'dual-pod.llm-d.ai/');
    const r = renderTemplateText(legacy, { ...base, vars: { REPLICASET_NAME: 'x' } });
    expect(r.convention).toBe('legacy');
    expect(r.warnings.join('\n')).toMatch(/older "dual-pod\.llm-d\.ai\/" prefix/);
  });

  it('warns when the requester container is not named inference-server', () => {
    const renamed = DIRECT.replace(/- name: inference-server\n {8}image: \$\{CONTAINER/, '- name: requester\n        image: ${CONTAINER');
    const r = renderTemplateText(renamed, { ...base, vars: { REPLICASET_NAME: 'x' } });
    expect(r.warnings.join('\n')).toMatch(/no container named "inference-server"/);
  });

  it('finds the launcher style and its InferenceServerConfig', () => {
    const launcher = DIRECT.replace(/dual-pods\.llm-d\.ai\/server-patch: \|[\s\S]*?(?=\n {4}spec:)/, 'dual-pods.llm-d.ai/inference-server-config: my-isc');
    const r = renderTemplateText(launcher, { ...base, vars: { REPLICASET_NAME: 'x' } });
    expect(r.style).toBe('launcher');
    expect(r.isc).toBe('my-isc');
  });
});
