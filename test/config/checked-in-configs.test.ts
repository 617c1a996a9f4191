/**
 * Every YAML config checked into the repository parses against its schema, with an empty
 * environment (so `${VAR}` references need defaults), and every target in a targets file
 * resolves. Files are told apart by their top-level keys: `targets:`, `scenarios:` (with
 * `defaults.template`: an actuation scenario file), or Kubernetes manifests (`apiVersion`/`kind`,
 * possibly several documents), which must render as templates, or llm-d well-lit-path benchmark
 * configs (`workload:`/`endpoint:`, a harness matrix with `isl_osl:`, or an inference-perf config
 * file with `load:` and `data:` at the top), which must translate.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadActuationFile } from '../../lib/actuation/config.ts';
import { renderTemplate } from '../../lib/k8s/template.ts';
import { describe, expect, test } from 'vitest';
import { loadScenarioFile } from '../../lib/config/resolve-scenarios.ts';
import { loadTargetsFile, resolveTarget } from '../../lib/config/resolve-target.ts';
import { loadWellLitConfig } from '../../lib/config/well-lit/load-config.ts';
import { DATA_TYPES } from '../../lib/config/schema/data.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** YAML files under `dir` (relative to the repository root), as repository-relative paths. */
function yamlFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(dir, name))
    .sort();
}

type Kind = 'targets' | 'scenarios' | 'actuation' | 'manifests' | 'well-lit';

/** Which schema a config file follows. */
function kindOf(file: string): Kind {
  const docs = parseAllDocuments(readFileSync(join(ROOT, file), 'utf8'));
  const tops = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as unknown);
  const top = tops[0] as Record<string, unknown> | null;
  if (tops.length === 1 && top && typeof top === 'object') {
    if ('targets' in top) return 'targets';
    if ('scenarios' in top) return typeof (top.defaults as { template?: unknown } | undefined)?.template === 'string' ? 'actuation' : 'scenarios';
    if ('workload' in top || 'endpoint' in top || 'isl_osl' in top || ('load' in top && 'data' in top)) return 'well-lit';
  }
  if (tops.every((t) => t && typeof t === 'object' && 'apiVersion' in t && 'kind' in t)) return 'manifests';
  throw new Error(`${file}: not a targets file (targets:), a scenario file (scenarios:), Kubernetes manifests or a well-lit-path config (workload:)`);
}

const examples = yamlFiles('examples');
const suites = yamlFiles('suites');
const files = [...examples, ...suites].map((file) => ({ file, kind: kindOf(file) }));

describe('checked-in configs', () => {
  test('the examples include a targets file and a scenario file', () => {
    expect(files.filter((f) => f.file.startsWith('examples/')).map((f) => f.kind).sort()).toEqual(
      expect.arrayContaining(['scenarios', 'targets']),
    );
  });

  test.each(files.filter((f) => f.kind === 'targets'))('$file parses, and each of its targets resolves', ({ file }) => {
    const { value } = loadTargetsFile(file, { cwd: ROOT, env: {} });
    for (const { name } of value.targets) {
      const selection = resolveTarget({ cwd: ROOT, env: { BENCH_TARGETS_FILE: file, BENCH_TARGET: name } });
      expect(selection.origin).toBe(`${file}#${name}`);
      expect(selection.kind).toBe(name === 'simulator' || value.targets.find((t) => t.name === name)?.simulator ? 'simulator' : 'endpoint');
    }
    // The file's own choice when nothing picks one.
    expect(resolveTarget({ cwd: ROOT, env: { BENCH_TARGETS_FILE: file } }).origin).toMatch(new RegExp(`^${file}#`));
  });

  test.each(files.filter((f) => f.kind === 'scenarios'))('$file parses as a scenario file', ({ file }) => {
    const loaded = loadScenarioFile(file, { cwd: ROOT, env: {} });
    expect(Object.keys(loaded.config.scenarios).length).toBeGreaterThan(0);
    expect(loaded.overrides).toEqual([]);
  });

  test.each(files.filter((f) => f.kind === 'actuation'))('$file parses as an actuation scenario file, and its templates render', ({ file }) => {
    const loaded = loadActuationFile(file, {}, ROOT);
    expect(Object.keys(loaded.config.scenarios).length).toBeGreaterThan(0);
    expect(loaded.overrides).toEqual([]);
    const dir = join(ROOT, file, '..');
    const templates = new Set([loaded.config.defaults.template, ...Object.values(loaded.config.scenarios).map((s) => s.template).filter((t): t is string => !!t)]);
    for (const t of templates) {
      const r = renderTemplate({ file: join(dir, t), runId: 'check', env: {}, vars: { REPLICASET_NAME: 'check-1' } });
      expect(r.workload.metadata.name, t).toBe('check-1');
      expect(r.warnings, t).toEqual([]);
    }
  });

  // examples/inference-perf translate to the session and trace data types, which these run with once the scenario schema has them (on main).
  const sessionExample = (f: { file: string }): boolean => f.file.startsWith('examples/inference-perf/');
  const NATIVE_SESSIONS = (['conversations', 'trace'] as const).every((t) => (DATA_TYPES as readonly string[]).includes(t));
  test.each(files.filter((f) => f.kind === 'well-lit' && !sessionExample(f)))('$file translates as a well-lit-path benchmark config', ({ file }) => {
    // The guide's template is verbatim and its ${VAR}s have no defaults: give them values.
    const config = loadWellLitConfig(file, { cwd: ROOT, env: { NAMESPACE: 'ns', GATEWAY_SVC: 'gw', BENCHMARK_PVC: 'pvc' } });
    expect(Object.keys(config.file.scenarios).length).toBeGreaterThan(0);
  });

  test.skipIf(!NATIVE_SESSIONS).each(files.filter((f) => f.kind === 'well-lit' && sessionExample(f)))('$file translates as an inference-perf config', ({ file }) => {
    const config = loadWellLitConfig(file, { cwd: ROOT, env: {} });
    expect(Object.keys(config.file.scenarios).length).toBeGreaterThan(0);
  });

  test('the Kubernetes manifests checked in are the ones expected', () => {
    expect(files.filter((f) => f.kind === 'manifests').map((f) => f.file)).toEqual(
      expect.arrayContaining(['examples/actuation-rbac.yaml', 'examples/standalone/vllm-standalone.yaml', 'suites/actuation/templates/server-request.yaml']),
    );
  });
});
