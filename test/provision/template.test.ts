import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '../../lib/errors/index.ts';
import { provisionPermissions, renderForProvision } from '../../lib/k8s/provision.ts';
import { readProvisionSettings } from '../../lib/k8s/provision-settings.ts';
import { chooseAccess, runsInCluster } from '../../lib/k8s/stack-access.ts';
import { manifestsYaml, renderStandaloneText } from '../../lib/k8s/standalone-template.ts';
import { ROOT, TEMPLATE, writeTemplate } from './helpers.ts';

type Container = { image: string; command: string[]; args: string[]; ports: Array<{ containerPort: unknown }>; resources: { limits: Record<string, unknown> }; env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }> };

function container(stack: ReturnType<typeof renderForProvision>): Container {
  return (stack.deployment.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
}

function render(env: Record<string, string> = {}, namespace?: string) {
  return renderForProvision({ template: TEMPLATE, cwd: ROOT, env, runId: '2026-01-01t00-00-00z-ab12' }, namespace);
}

/** The ConfigError message of rendering `text` (a template body). */
function renderError(text: string, env: Record<string, string> = {}): string {
  try {
    renderStandaloneText(text, { file: 'stack.yaml', env, runId: 'r-1' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    return (err as Error).message;
  }
  throw new Error('rendered without an error');
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: d }
spec:
  selector: { matchLabels: { app: x } }
  template:
    metadata: { labels: { app: x } }
    spec: { containers: [{ name: c, image: i, ports: [{ name: web, containerPort: 8080 }] }] }
`;
const SERVICE = `---
apiVersion: v1
kind: Service
metadata: { name: s }
spec: { selector: { app: x }, ports: [{ port: 80, targetPort: web }] }
`;

describe('the standalone template', () => {
  it('renders with its defaults: a vLLM Deployment and its Service, every object and the pods labelled with the run', () => {
    const s = render();
    expect(s.objects.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['Deployment/vllm-standalone-ab12', 'Service/vllm-standalone-ab12']);
    for (const m of s.objects) expect(m.metadata.labels?.['vitest-llm-d/run']).toBe('2026-01-01t00-00-00z-ab12');
    expect((s.deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels['vitest-llm-d/run']).toBe('2026-01-01t00-00-00z-ab12');
    expect(s.objects[0]!.metadata.namespace).toBeUndefined();
    const c = container(s);
    expect(c.image).toBe('vllm/vllm-openai:v0.10.0');
    expect(c.command).toEqual(['/bin/sh', '-c']);
    expect(c.args[0]!.trim()).toBe('exec vllm serve Qwen/Qwen3-0.6B --port 8000 --tensor-parallel-size 1');
    expect(c.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(c.ports[0]!.containerPort).toBe(8000);
    expect(c.env.find((e) => e.name === 'HF_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'llm-d-hf-token', key: 'HF_TOKEN', optional: true });
    expect(s).toMatchObject({ selector: 'app.kubernetes.io/name=vllm-standalone-ab12', servicePort: 8000, podPort: 8000, secretRefs: ['llm-d-hf-token'], source: TEMPLATE });
  });

  it('takes MODEL, VLLM_IMAGE, GPU_COUNT, VLLM_ARGS, HF_TOKEN_SECRET and PORT from the environment, and the namespace', () => {
    const s = render({ MODEL: 'ibm-granite/granite-3.3-8b-instruct', VLLM_IMAGE: 'registry.local/vllm:v1', GPU_COUNT: '2', VLLM_ARGS: '--max-model-len 4096 --enable-prefix-caching', HF_TOKEN_SECRET: 'my-hf', PORT: '9000' }, 'bench');
    const c = container(s);
    expect(c.image).toBe('registry.local/vllm:v1');
    expect(c.args[0]).toBe('exec vllm serve ibm-granite/granite-3.3-8b-instruct --port 9000 --tensor-parallel-size 2 --max-model-len 4096 --enable-prefix-caching');
    expect(c.resources.limits['nvidia.com/gpu']).toBe(2);
    expect(c.ports[0]!.containerPort).toBe(9000);
    expect(s).toMatchObject({ servicePort: 9000, podPort: 9000, secretRefs: ['my-hf'] });
    expect(s.objects.map((m) => m.metadata.namespace)).toEqual(['bench', 'bench']);
    expect(Object.keys(s.objects[0]!.metadata).slice(0, 2)).toEqual(['name', 'namespace']);
  });

  it('prints as a YAML stream that reads back to the same objects; the Secret name shows, substituted secret values do not', () => {
    const s = render({ HF_TOKEN_SECRET: 'hf-secret-name' }, 'bench');
    const text = manifestsYaml(s);
    expect(text.split('\n')[0]).toBe(`# ${TEMPLATE}: 2 objects, labelled vitest-llm-d/run=2026-01-01t00-00-00z-ab12`);
    expect(parseAllDocuments(text).map((d) => (d as { toJS(): unknown }).toJS())).toEqual(s.objects);
    expect(text).toContain('name: hf-secret-name');

    // A template that puts a token value inline (not recommended) gets it applied but never printed.
    const inline = writeTemplate(`${DEPLOYMENT.replace('image: i', 'image: i, env: [{ name: HF_TOKEN, value: "\${HF_TOKEN}" }]')}${SERVICE}`);
    const token = 'hf_inlineTokenValue987654321';
    const t = renderForProvision({ template: inline, env: { HF_TOKEN: token }, runId: 'r-1' });
    expect(JSON.stringify(t.objects)).toContain(token);
    expect(manifestsYaml(t)).not.toContain(token);
    expect(manifestsYaml(t)).toMatch(/- name: HF_TOKEN\n\s+value: \*\*\*\n/);
  });

  it('rejects a bad template with one line naming the file and the problem', () => {
    expect(renderError('a: [1,\n')).toMatch(/^stack\.yaml:\d+:\d+: invalid YAML: /);
    expect(renderError(DEPLOYMENT.replace('image: i', 'image: "${NEED_ME}"') + SERVICE)).toBe('stack.yaml (document 1): spec.template.spec.containers[0].image: environment variable NEED_ME is not set');
    expect(renderError(SERVICE)).toBe('stack.yaml: expected exactly one Deployment (the vLLM server), found 0');
    expect(renderError(DEPLOYMENT + SERVICE + `---\n${DEPLOYMENT.replace('name: d', 'name: e')}`)).toBe('stack.yaml: expected exactly one Deployment (the vLLM server), found 2');
    expect(renderError(DEPLOYMENT + SERVICE.replace('{ app: x }', '{ app: y }'))).toBe('stack.yaml: no Service whose spec.selector selects the pods of Deployment d (labels app=x)');
    expect(renderError(DEPLOYMENT + SERVICE.replace('targetPort: web', 'targetPort: api'))).toBe('stack.yaml: Service s.spec.ports[0].targetPort: no container port named "api" in the Deployment');
    expect(renderError(DEPLOYMENT.replace('selector: { matchLabels: { app: x } }', 'selector: {}') + SERVICE)).toBe('stack.yaml: Deployment d.spec.selector: matchLabels is required (the pods are found by it)');
    expect(renderError(`${DEPLOYMENT}${SERVICE}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: i }\n`)).toMatch(/^stack\.yaml: Ingress i: kind Ingress cannot be provisioned \(supported: Deployment, ReplicaSet, Job, Service, ConfigMap, Secret, /);
    expect(() => renderForProvision({ template: 'nope.yaml', cwd: mkdtempSync(join(tmpdir(), 'llmd-')), runId: 'r' })).toThrow(/^nope\.yaml: file not found$/);
  });

  it('resolves a named targetPort through the container ports', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'llmd-')), 't.yaml');
    writeFileSync(path, DEPLOYMENT + SERVICE);
    expect(renderForProvision({ template: path, runId: 'r-abcd' })).toMatchObject({ servicePort: 80, podPort: 8080 });
  });
});

describe('provisioning settings and access', () => {
  it('reads BENCH_PROVISION*, and rejects each bad value in one line naming the variable', () => {
    expect(readProvisionSettings({})).toBeNull();
    expect(readProvisionSettings({ BENCH_PROVISION: TEMPLATE, BENCH_PROVISION_URL: 'https://gw.example.com', BENCH_PROVISION_TIMEOUT_S: '120', BENCH_PROVISION_NAME: 'my-stack', BENCH_PROVISION_DRY_RUN: '1' })).toEqual({
      template: TEMPLATE,
      url: 'https://gw.example.com',
      timeoutS: 120,
      name: 'my-stack',
      dryRun: true,
    });
    const bad = (env: Record<string, string>): string => {
      try {
        readProvisionSettings({ BENCH_PROVISION: TEMPLATE, ...env });
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(bad({ BENCH_PROVISION_ACCESS: 'portforward' })).toMatch(/^env: BENCH_PROVISION_ACCESS: expected one of .*"port-forward".*got "portforward" \(did you mean "port-forward"\?\)/);
    expect(bad({ BENCH_PROVISION_ACCESS: 'url' })).toBe('env: BENCH_PROVISION_ACCESS: is "url" but BENCH_PROVISION_URL is not set');
    expect(bad({ BENCH_PROVISION_URL: 'gw:8000' })).toMatch(/^env: BENCH_PROVISION_URL: expected an http:\/\/ or https:\/\/ URL/);
    expect(bad({ BENCH_PROVISION_NAME: 'My_Stack' })).toMatch(/^env: BENCH_PROVISION_NAME: "My_Stack" is not a valid Service name/);
    expect(bad({ BENCH_PROVISION_DRY_RUN: 'maybe' })).toBe('env: BENCH_PROVISION_DRY_RUN: expected 1 or 0, got "maybe"');
    expect(bad({ BENCH_BASE_URL: 'http://127.0.0.1:8000' })).toBe('env: BENCH_PROVISION: cannot be combined with BENCH_BASE_URL: the target is the provisioned stack (BENCH_PROVISION_URL gives a URL in front of it)');
    // The command's own template argument is not a suite's target: BENCH_BASE_URL does not matter there.
    expect(readProvisionSettings({ BENCH_BASE_URL: 'http://127.0.0.1:8000' }, TEMPLATE)).toEqual({ template: TEMPLATE, dryRun: false });
  });

  it('chooses the access: a given URL, else the simulator ClusterIP, else service DNS in a pod, else port-forward', () => {
    expect(chooseAccess({ url: 'http://gw', simulator: true, inCluster: true })).toBe('url');
    expect(chooseAccess({ simulator: true, inCluster: true })).toBe('cluster-ip');
    expect(chooseAccess({ simulator: false, inCluster: true })).toBe('service-dns');
    expect(chooseAccess({ simulator: false, inCluster: false })).toBe('port-forward');
    const token = join(mkdtempSync(join(tmpdir(), 'llmd-sa-')), 'token');
    expect(runsInCluster({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, token)).toBe(false);
    writeFileSync(token, 'x');
    expect(runsInCluster({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, token)).toBe(true);
    expect(runsInCluster({}, token)).toBe(false);
  });

  it('asks RBAC for what it creates, watches and reads, and for pods/portforward only when it forwards', () => {
    const s = render();
    const names = (mode: 'cluster-ip' | 'port-forward') => provisionPermissions(s, mode).map((p) => `${p.verb} ${p.resource}${p.subresource ? `/${p.subresource}` : ''}${p.group ? ` (${p.group})` : ''}`);
    expect(names('cluster-ip')).toEqual(['create deployments (apps)', 'list deployments (apps)', 'delete deployments (apps)', 'create services', 'list services', 'delete services', 'watch deployments (apps)', 'list replicasets (apps)', 'list pods', 'list events']);
    expect(names('port-forward').at(-1)).toBe('create pods/portforward');
  });
});
