/**
 * Reading a well-lit-path `config.yaml` as is: parse (YAML anchors and aliases resolved),
 * substitute `$VAR` and `${VAR}` (what the guides' `envsubst` step does; see
 * `substitute-config.ts`), validate every section, and translate its workloads, in file order,
 * into one scenario file, plus the endpoint they run against. Every problem of the file is
 * collected and thrown as one `ConfigError`.
 */
import { resolve } from 'node:path';
import { isMap } from 'yaml';
import type { Document } from 'yaml';
import { ConfigError } from '../../errors/config-error.ts';
import { formatPath } from '../format-issues.ts';
import { displayPath, parseYamlDocument, readConfigText } from '../load-file.ts';
import { isSecretName, redactValue } from '../redact.ts';
import { ScenarioFileSchema } from '../schema/scenario.ts';
import type { ScenarioFile } from '../schema/scenario.ts';
import { NAME_PATTERN } from '../schema/target.ts';
import { applySubstitution, noteUnsetVariables, substituteConfig } from './substitute-config.ts';
import type { Env } from '../substitute.ts';
import { IssueList } from './issues.ts';
import { derivedEnv, dropNulls, fileWorkloadName } from './ip-file.ts';
import type { DerivedEnv } from './ip-file.ts';
import { IP_PARTS, KEY_RULES, pathPattern } from './key-policy.ts';
import type { IgnoredKey } from './key-policy.ts';
import { collapseLaterFeatures } from './later-features.ts';
import { MATRIX_MARKERS, MatrixEntrySchema } from './matrix-schema.ts';
import { SECTION_SCHEMAS, TOP_LEVEL_MATRIX_KEYS, WellLitFileSchema } from './sections-schema.ts';
import type { RunDescriptionSection, WellLitSections } from './sections-schema.ts';
import { mergeEndpoint } from './translate-target.ts';
import type { ConfigEndpoint } from './translate-target.ts';
import { translateMatrix } from './translate-matrix.ts';
import { translateIpWorkload } from './translate-workload.ts';
import type { TranslatedScenario } from './translate-workload.ts';
import { IP_WORKLOAD_PARTS, IpWorkloadKeysSchema } from './workload-schema.ts';
import type { IpWorkload } from './workload-schema.ts';

/** A translated well-lit-path config. */
export interface WellLitConfig {
  /** The file as shown in messages (relative to the working directory when inside it). */
  source: string;
  /** Absolute path. */
  path: string;
  /** `harness.name`, when given. */
  harness: string | null;
  endpoint: ConfigEndpoint;
  /** Every workload as scenarios, in file order, validated with defaults filled in. */
  file: ScenarioFile;
  /** Per scenario: the workload it came from and the translation notes for its report. */
  scenarios: Record<string, Pick<TranslatedScenario, 'origin' | 'notes'> & { /** The workload's name (an inference-perf file's: the file's). */ workload: string | undefined }>;
  /** `env` entries, in file order, then the variables the workloads' `metrics` and `storage` sections set (`from` names the key). */
  env: Array<{ name: string; value: string; from?: string }>;
  /** Keys accepted without effect that the file has. */
  ignored: IgnoredKey[];
  /** `harness.wait_timeout` in seconds, when positive. */
  waitTimeoutS: number | null;
  /** `description`: text and keywords for every report; null when the file has none. */
  description: RunDescriptionSection | null;
  /** `hooks`: shell commands run before and after each workload (not substituted: the shell expands their variables). */
  hooks: { pre_workload: string | null; post_workload: string | null };
  /** Values never to show: the API key, tokens, secret-looking `env` values and substitutions. */
  secrets: string[];
}

/** How to read the file. */
export interface LoadWellLitOptions {
  /** Environment for `${VAR}`. */
  env: Env;
  /** Directory the file name is resolved against (default `process.cwd()`). */
  cwd?: string;
  /** Said with "file not found", e.g. `named by BENCH_CONFIG`. */
  namedBy?: string;
}

/** Reads, validates and translates a well-lit-path config; throws one `ConfigError` listing every problem. */
export function loadWellLitConfig(file: string, options: LoadWellLitOptions): WellLitConfig {
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, file);
  const source = displayPath(path, cwd);
  const doc = parseYamlDocument(readConfigText(path, source, options.namedBy), source);
  // Hook commands are shell text: the shell expands their variables when they run, in the run's environment.
  const rawHooks = takeSection(doc, 'hooks');
  const substituted = substituteConfig(doc, options.env);
  let raw: unknown;
  try {
    raw = dropNulls(doc.toJS({ maxAliasCount: 1000 }));
  } catch (err) {
    throw new ConfigError(source, '', `invalid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (rawHooks !== undefined && isMapping(raw)) raw.hooks = rawHooks;
  const secrets = [...substituted.secrets, ...secretValues(raw)];
  const issues = new IssueList(source, secrets);
  const substitution = applySubstitution(raw, substituted, issues);
  issues.parse(WellLitFileSchema, raw, []);
  const rawTop = isMapping(raw) ? raw : {};
  const top: WellLitSections = {};
  for (const [key, schema] of Object.entries(SECTION_SCHEMAS)) {
    if (rawTop[key] === undefined) continue;
    const parsed = issues.parse(schema, rawTop[key], [key]);
    if (parsed !== undefined) Object.assign(top, { [key]: parsed });
  }

  const entries = workloadEntries(rawTop, issues, fileWorkloadName(path));
  const harness = typeof (rawTop.harness as Record<string, unknown> | undefined)?.name === 'string' ? String((rawTop.harness as Record<string, unknown>).name) : null;
  const ipEntries = entries.filter((e) => e.kind === 'inference-perf');
  const readIp = ipEntries.length === 0 || harness === null || harness === 'inference-perf';
  if (!readIp) {
    issues.add(['harness', 'name'], `${JSON.stringify(harness)}: not supported (only inference-perf workloads and harness-matrix entries are run; ${ipEntries.map((e) => e.name).join(', ')} would be read as inference-perf workloads)`);
  }

  const translated: TranslatedScenario[] = [];
  const ipParsed: Array<{ name: string; w: Partial<IpWorkload>; origin: string }> = [];
  const workloadOf = new Map<string, string>();
  for (const e of entries) {
    if (e.kind === 'matrix') {
      const m = issues.parse(MatrixEntrySchema, e.value, e.at);
      if (m) translated.push(...translateMatrix(e.name, m, e.origin, source));
    } else if (readIp) {
      const w = parseIpWorkload(e, issues);
      ipParsed.push({ name: e.name, w, origin: e.origin });
      for (const t of translateIpWorkload(e.name, w, source, issues, e.at, cwd)) {
        translated.push(t);
        workloadOf.set(t.name, e.name);
      }
      collapseLaterFeatures(e.value, e.at, issues);
    }
  }
  const bare = entries.length === 1 && entries[0]!.origin === '' && entries[0]!.kind === 'inference-perf';
  const endpoint = mergeEndpoint(top, ipParsed, issues, bare ? entries[0]!.name : undefined);
  const env = [...envEntries(rawTop, top, issues), ...sectionEnv(ipParsed, issues)];
  const scenarios = scenarioFile(translated, issues);
  substitution.dropShadowed();
  issues.throwIfAny();
  if (endpoint.apiKey) secrets.push(endpoint.apiKey);

  return {
    source,
    path,
    harness,
    endpoint,
    file: scenarios!,
    scenarios: Object.fromEntries(
      translated.map((t) => [t.name, { origin: t.origin, workload: workloadOf.get(t.name), notes: t.notes.map((n) => ({ ...n, value: redactValue(n.value, secrets) })) }]),
    ),
    env,
    ignored: noteUnsetVariables(ignoredKeys(raw, secrets, bare ? entries[0]!.name : undefined), substituted.kept, secrets, bare ? entries[0]!.name : undefined),
    waitTimeoutS: top.harness?.wait_timeout ? top.harness.wait_timeout : null,
    description: top.description && (top.description.text !== null || top.description.keywords.length > 0) ? top.description : null,
    hooks: top.hooks ?? { pre_workload: null, post_workload: null },
    secrets: [...new Set(secrets)],
  };
}

/** One workload entry of the file. */
interface Entry {
  name: string;
  kind: 'inference-perf' | 'matrix';
  value: Record<string, unknown>;
  /** Where it sits in the file, as a path. */
  at: PropertyKey[];
  /** The same as text: `workload.x`, or `''` for the top level. */
  origin: string;
}

/**
 * The workloads: the `workload` section's entries, a harness matrix written at the top level
 * (named `matrix`), or the one workload of an inference-perf config file (named `fileName`).
 */
function workloadEntries(top: Record<string, unknown>, issues: IssueList, fileName: string): Entry[] {
  const topMatrix = TOP_LEVEL_MATRIX_KEYS.filter((k) => top[k] !== undefined);
  const topIp = IP_PARTS.filter((k) => top[k] !== undefined);
  const section = top.workload;
  if (topIp.length > 0) {
    if (section !== undefined || topMatrix.length > 0) {
      issues.add([topIp[0]!], `an inference-perf workload at the top level cannot sit beside ${section !== undefined ? 'a workload section' : 'a harness matrix'}: move it into workload.<name>`);
      return [];
    }
    return [{ name: fileName, kind: 'inference-perf', value: Object.fromEntries(topIp.map((k) => [k, top[k]])), at: [], origin: '' }];
  }
  if (topMatrix.length > 0) {
    if (section !== undefined) {
      issues.add([topMatrix[0]!], 'a harness matrix at the top level cannot sit beside a workload section: move it into workload.<name>');
      return [];
    }
    const value = Object.fromEntries(topMatrix.map((k) => [k, top[k]]));
    return [{ name: 'matrix', kind: 'matrix', value, at: [], origin: '' }];
  }
  if (section === undefined) {
    issues.add([], 'no workloads: add a workload section (inference-perf workloads, or harness-matrix entries with concurrency and isl_osl), or give an inference-perf config (load, api, server, data, ...)');
    return [];
  }
  if (!isMapping(section)) return []; // the top-level schema has said so
  const out: Entry[] = [];
  for (const [name, value] of Object.entries(section)) {
    if (!isMapping(value)) continue; // likewise
    if (!NAME_PATTERN.test(name)) {
      issues.add(['workload', name], 'workload names become test names: use only letters, digits, ".", "_" and "-"');
      continue;
    }
    const kind = MATRIX_MARKERS.some((k) => k in value) ? 'matrix' : 'inference-perf';
    out.push({ name, kind, value, at: ['workload', name], origin: `workload.${name}` });
  }
  if (Object.keys(section).length === 0) issues.add(['workload'], 'no workloads: the section is empty');
  return out;
}

/** The parts of an inference-perf workload that are valid; every problem is recorded. */
function parseIpWorkload(e: Entry, issues: IssueList): Partial<IpWorkload> {
  issues.parse(IpWorkloadKeysSchema, e.value, e.at);
  const parts: Partial<IpWorkload> = {};
  for (const [key, schema] of Object.entries(IP_WORKLOAD_PARTS)) {
    if (e.value[key] === undefined) continue;
    const parsed = issues.parse(schema, e.value[key], [...e.at, key]);
    if (parsed !== undefined) Object.assign(parts, { [key]: parsed });
  }
  return parts;
}

/** `env` entries; a missing value is a problem unless the entry's valueFrom (rejected) explains it. */
function envEntries(rawTop: Record<string, unknown>, top: WellLitSections, issues: IssueList): Array<{ name: string; value: string }> {
  const rawEnv = Array.isArray(rawTop.env) ? rawTop.env : [];
  const out: Array<{ name: string; value: string }> = [];
  (top.env ?? []).forEach((e, i) => {
    if (e.value !== undefined) out.push({ name: e.name, value: e.value });
    else if (!isMapping(rawEnv[i]) || !('valueFrom' in rawEnv[i])) issues.add(['env', i, 'value'], 'required');
  });
  return out;
}

/**
 * The variables the workloads' `metrics` and `storage` sections set for the run; two workloads
 * naming different values for one variable is a problem (the run has one environment).
 */
function sectionEnv(workloads: ReadonlyArray<{ w: Partial<IpWorkload>; origin: string }>, issues: IssueList): WellLitConfig['env'] {
  const byName = new Map<string, DerivedEnv>();
  for (const { w, origin } of workloads) {
    for (const d of derivedEnv(w, origin ? `${origin}.` : '')) {
      const first = byName.get(d.name);
      if (!first) byName.set(d.name, d);
      else if (first.value !== d.value) issues.add(d.from.split('.'), `sets ${d.name} to another value than ${first.from} does: the run has one ${d.name}`);
    }
  }
  return [...byName.values()].map((d) => ({ name: d.name, value: d.value, from: d.from }));
}

/** The translated scenarios as a validated scenario file; problems are recorded against the workload they came from. */
function scenarioFile(translated: TranslatedScenario[], issues: IssueList): ScenarioFile | undefined {
  const scenarios: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  for (const t of translated) {
    if (t.name in scenarios) {
      issues.add(t.origin ? t.origin.split('.') : [], `makes a scenario named ${t.name}, as ${origins.get(t.name) || 'the top level'} does: rename one of them`);
      continue;
    }
    scenarios[t.name] = t.scenario;
    origins.set(t.name, t.origin);
  }
  if (Object.keys(scenarios).length === 0) return undefined;
  const result = ScenarioFileSchema.safeParse({ scenarios });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const [, name, ...rest] = issue.path;
    const origin = origins.get(String(name)) ?? '';
    issues.add(origin ? origin.split('.') : [], `as scenario ${String(name)}: ${formatPath(rest)}: ${issue.message}`);
  }
  return undefined;
}

/**
 * Keys accepted without effect that the file has, with their values (redacted) and reasons;
 * `fileWorkload` names the workload of an inference-perf config file, whose keys sit at the top.
 */
function ignoredKeys(raw: unknown, secrets: readonly string[], fileWorkload: string | undefined): IgnoredKey[] {
  const rules = new Map(KEY_RULES.filter((r) => r.status === 'ignored').map((r) => [r.path, r.reason]));
  const out: IgnoredKey[] = [];
  const walk = (value: unknown, path: PropertyKey[]): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    if (!isMapping(value)) return;
    for (const [key, v] of Object.entries(value)) {
      const at = [...path, key];
      const reason = rules.get(pathPattern(at));
      if (reason === undefined) walk(v, at);
      else {
        const workload = at[0] === 'workload' ? String(at[1]) : fileWorkload;
        out.push({ path: formatPath(at), value: redactValue(v, secrets), reason, ...(workload === undefined ? {} : { workload }) });
      }
    }
  };
  walk(raw, []);
  return out;
}

/**
 * Keys with secret-looking names whose values name something rather than hold a secret:
 * `hf_token_secret` names a Kubernetes Secret; inference-perf's `api.session_id_header_key` and
 * `api.session_token_header_key` name HTTP headers (`x-session-id`), which reports show.
 */
const NAMES_NOT_SECRETS: ReadonlySet<string> = new Set(['hf_token_secret', 'session_id_header_key', 'session_token_header_key']);

/** Values in the file that must never be shown: API keys, tokens, secret-looking `env` values. */
function secretValues(raw: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    if (!isMapping(value)) return;
    if (typeof value.name === 'string' && isSecretName(value.name) && value.value !== undefined) out.push(String(value.value));
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && !NAMES_NOT_SECRETS.has(key) && isSecretName(key)) out.push(v);
      else walk(v);
    }
  };
  walk(raw);
  return out.filter((s) => s !== '');
}

/** A top-level section as written (before substitution), taken out of the document; undefined when absent. */
function takeSection(doc: Document, key: string): unknown {
  if (!isMap(doc.contents) || !doc.contents.has(key)) return undefined;
  let value: unknown;
  try {
    value = (doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>)[key];
  } catch {
    return undefined; // the document's own conversion reports it
  }
  doc.contents.delete(key);
  return value;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
