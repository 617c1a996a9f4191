/**
 * Every key of inference-perf's config model (`inference-perf-keys.ts`, from its source) set in
 * an inference-perf config file, one at a time: a translated key changes what would run (the
 * scenario, the endpoint, the run's environment or its notes), an ignored one is listed with its
 * reason and changes nothing else, a rejected one stops the file with a "not supported" line
 * naming it. The table of docs/configs-you-have.md names every key's treatment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { renderPlan } from '../../cli/check-render.ts';
import { loadWellLitConfig } from '../../lib/config/well-lit/index.ts';
import { checkConfigFile } from '../../lib/scenario/check-config.ts';
import type { WellLitConfig } from '../../lib/config/well-lit/index.ts';
import { DATA_TYPES } from '../../lib/config/schema/data.ts';
import { IP_KEYS, SESSION_BASES } from './inference-perf-keys.ts';
import type { Base, IpKey } from './inference-perf-keys.ts';
import { tempDir } from './temp-dir.ts';

/**
 * Whether the scenario schema has the session and trace data types the session bases translate
 * to. They come with the native data types; once they are in, every key runs (none stays skipped).
 */
const NATIVE_SESSIONS = (['conversations', 'trace'] as const).every((t) => (DATA_TYPES as readonly string[]).includes(t));
const needsNative = (k: IpKey): boolean => (k.base !== undefined && SESSION_BASES.includes(k.base)) || k.path.endsWith('enable_multi_turn_chat');
const cases = (native: boolean) => IP_KEYS.filter((k) => needsNative(k) === native).map((k) => [k.path, k.treatment, k] as const);

const RANDOM = { type: 'random', input_distribution: { min: 10, max: 100, mean: 50 }, output_distribution: { min: 10, max: 100, mean: 50 } };

/** The default file: a constant load of random data against one server. */
function baseFile(base: Base | undefined): Record<string, unknown> {
  const file: Record<string, unknown> = {
    load: { type: 'constant', stages: [{ rate: 1, duration: 1 }] },
    server: { base_url: 'http://127.0.0.1:1' },
    data: structuredClone(RANDOM),
  };
  switch (base) {
    case 'concurrent':
      file.load = { type: 'concurrent', stages: [{ concurrency_level: 2, num_requests: 4 }] };
      break;
    case 'conversation':
      file.data = { type: 'conversation_replay', conversation_replay: { num_conversations: 3 } };
      break;
    case 'trace':
      file.load = { type: 'trace_replay', trace: { file: 'trace.csv' }, stages: [{ rate: 1, duration: 1 }] };
      file.data = { type: 'random', trace: { file: 'trace.csv' } };
      break;
    case 'otel':
    case 'weka':
      file.load = { type: 'trace_session_replay', stages: [{ concurrent_sessions: 1 }] };
      file.data = { type: `${base}_trace_replay`, [`${base}_trace_replay`]: { trace_files: [`${base}.json`] } };
      file.api = { type: 'chat' };
      break;
    case 'shared_prefix':
      file.data = { type: 'shared_prefix', shared_prefix: {} };
      break;
    case 'sharegpt':
      file.data = { type: 'shareGPT', path: 'base.jsonl' };
      break;
    case 's3':
      file.storage = { simple_storage_service: { bucket_name: 'base-bucket' } };
      break;
    case 'prometheus':
      file.metrics = { type: 'prometheus', prometheus: { url: 'http://127.0.0.1:9191' } };
      break;
    case undefined:
      break;
  }
  return file;
}

/** Sets `path` (`a.b[0].c`) in `file` to `value`, creating what is missing. */
function setPath(file: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(/\.|(?=\[)/).map((p) => (p.startsWith('[') ? Number(p.slice(1, -1)) : p));
  let at: Record<string | number, unknown> = file;
  parts.forEach((part, k) => {
    if (k === parts.length - 1) {
      at[part] = value;
      return;
    }
    if (at[part] === undefined || at[part] === null) at[part] = typeof parts[k + 1] === 'number' ? [] : {};
    at = at[part] as Record<string | number, unknown>;
  });
}

const SHAREGPT_LINE = JSON.stringify({ conversations: [{ from: 'human', value: 'Hello there, how are you today?' }, { from: 'gpt', value: 'I am fine, thank you for asking.' }] });

/** Writes `file` as an inference-perf config file `ip.yaml` (with the dataset files it may name); its folder. */
function writeFile(file: Record<string, unknown>): string {
  const dir = tempDir();
  dir.write('base.jsonl', `${SHAREGPT_LINE}\n`);
  dir.write('sharegpt.jsonl', `${SHAREGPT_LINE}\n${SHAREGPT_LINE}\n`);
  // The session bases' traces: this repository's samples.
  for (const [name, sample] of [['trace.csv', 'azure-llm-sample.csv'], ['otel.json', 'otel-trace-sample.json'], ['weka.json', 'weka-trace-sample.json']] as const) {
    dir.write(name, readFileSync(fileURLToPath(new URL(`../../examples/data/${sample}`, import.meta.url)), 'utf8'));
  }
  // A dataset path is relative to where vitest runs, as in a run: name the files here in full.
  const data = file.data as { path?: string } | undefined;
  const named = structuredClone(data?.path ? { ...file, data: { ...data, path: join(dir.path, data.path) } } : file) as Record<string, Record<string, { file?: string; trace_files?: string[] }>>;
  for (const at of [named.load?.trace, named.data?.trace]) if (at?.file) at.file = join(dir.path, at.file);
  for (const key of ['otel_trace_replay', 'weka_trace_replay']) {
    const replay = named.data?.[key];
    if (replay?.trace_files) replay.trace_files = replay.trace_files.map((f) => join(dir.path, f));
  }
  dir.write('ip.yaml', JSON.stringify(named));
  return dir.path;
}

/** Loads `file` as an inference-perf config file named `ip.yaml`; the error message, or the config. */
function loadFile(file: Record<string, unknown>): WellLitConfig | string {
  try {
    return loadWellLitConfig('ip.yaml', { cwd: writeFile(file), env: {} });
  } catch (err) {
    return (err as Error).message;
  }
}

/** What `vitest-llm-d check ip.yaml --sample 0` prints of `file`, and whether it is valid. */
async function checkFile(file: Record<string, unknown>): Promise<{ valid: boolean; text: string }> {
  const checked = await checkConfigFile('ip.yaml', { env: {}, cwd: writeFile(file), sample: 0 });
  return { valid: checked.valid, text: checked.valid ? renderPlan(checked) : (checked.problems ?? '') };
}

/**
 * What would run, for comparison: scenarios, endpoint, environment and the notes of the report,
 * less a note that `path`'s section was not given (setting any key of it drops that note).
 */
function meaning(c: WellLitConfig, path = ''): string {
  const notes = Object.values(c.scenarios).map((s) => s.notes.filter((n) => !(n.source.includes('not given') && path.startsWith(`${n.path}.`))));
  // Each file is written to a folder of its own, which the trace paths name: the folder is not part of the meaning.
  return JSON.stringify({ scenarios: c.file.scenarios, endpoint: c.endpoint, env: c.env, notes }).replace(/config-test-[A-Za-z0-9]+/g, 'config-test-*');
}

describe("every key of inference-perf's config model", () => {
  const run = (path: string, treatment: string, key: IpKey): void => {
    const base = loadFile(baseFile(key.base));
    if (treatment !== 'rejected') expect(typeof base, `the base file of ${path} loads: ${String(base)}`).toBe('object');
    const file = baseFile(key.base);
    setPath(file, path, parseYaml(key.value));
    const loaded = loadFile(file);
    if (treatment === 'rejected') {
      expect(typeof loaded, `${path} is refused`).toBe('string');
      expect(loaded as string).toMatch(/not supported|is not run yet/);
      return;
    }
    expect(typeof loaded, `${path} is accepted: ${String(loaded)}`).toBe('object');
    const c = loaded as WellLitConfig;
    const listed = c.ignored.filter((k) => path === k.path || path.startsWith(`${k.path}.`) || path.startsWith(`${k.path}[`));
    if (treatment === 'ignored') {
      expect(listed.map((k) => k.path), `${path} is listed as accepted without effect`).toHaveLength(1);
      expect(listed[0]!.reason.length).toBeGreaterThan(10);
      expect(meaning(c, path), `${path} changes nothing that would run`).toBe(meaning(base as WellLitConfig, path));
    } else if (key.unchanged) {
      expect(listed, `${path} is not listed as without effect`).toEqual([]);
      expect(meaning(c, path), `${path} at its default changes nothing`).toBe(meaning(base as WellLitConfig, path));
    } else {
      expect(listed, `${path} is not listed as without effect`).toEqual([]);
      expect(meaning(c), `${path} changes what would run`).not.toBe(meaning(base as WellLitConfig));
    }
  };
  test.each(cases(false))('%s: %s', run);
  // The session and trace keys: these run once the scenario schema has the native session and trace data types (on main).
  test.skipIf(!NATIVE_SESSIONS).each(cases(true))('%s: %s', run);
});

describe("every key of inference-perf's config model, as `vitest-llm-d check` prints its plan", () => {
  const run = async (path: string, treatment: string, key: IpKey): Promise<void> => {
    const base = await checkFile(baseFile(key.base));
    const file = baseFile(key.base);
    setPath(file, path, parseYaml(key.value));
    const checked = await checkFile(file);
    if (treatment === 'rejected') {
      expect(checked.valid, `${path} is refused`).toBe(false);
      expect(checked.text).toMatch(/not supported|is not run yet/);
      return;
    }
    expect(base.valid, base.text).toBe(true);
    expect(checked.valid, checked.text).toBe(true);
    const noEffect = checked.text.slice(checked.text.indexOf('accepted, no effect:'));
    if (treatment === 'ignored') {
      expect(checked.text, `${path} is in the plan's "accepted, no effect" list`).toContain('accepted, no effect:');
      expect(noEffect.split('\n').some((l) => l.trimStart().startsWith(`${path}:`) || path.startsWith(`${l.trim().split(':')[0]}.`))).toBe(true);
    } else if (!key.unchanged) {
      expect(checked.text, `${path} changes the plan`).not.toBe(base.text);
    }
  };
  test.each(cases(false))('%s: %s', run);
  // The session and trace keys: these run once the scenario schema has the native session and trace data types (on main).
  test.skipIf(!NATIVE_SESSIONS).each(cases(true))('%s: %s', run);
});

describe("the table of docs/configs-you-have.md", () => {
  const section = readFileSync(fileURLToPath(new URL('../../docs/configs-you-have.md', import.meta.url)), 'utf8');
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  /** The rows naming `workload.*.<path>`: by its full path, or as a `.key` after the full path of a sibling. */
  const rowsOf = (path: string): string[] => {
    const full = `workload.*.${path.replace(/\[0\]/g, '[]')}`;
    const cut = full.lastIndexOf('.');
    const parent = full.slice(0, cut);
    const leaf = full.slice(cut + 1);
    return rows.filter((row) => {
      const cell = row.split(' | ')[0]!;
      if (cell.includes(`\`${full}\``)) return true;
      if (!cell.includes(`\`.${leaf}\``)) return false;
      // `.leaf` is shorthand for a sibling of a full path in the same cell.
      return [...cell.matchAll(/`(workload\.[^`]+)`/g)].some(([, full]) => full!.slice(0, full!.lastIndexOf('.')) === parent);
    });
  };
  test.each(IP_KEYS.map((k) => [k.path, k.treatment] as const))('%s (%s) has its row', (path, treatment) => {
    let found = rowsOf(path);
    // A rule covers the key and what is under it: the row of the nearest ancestor counts.
    for (let p = path; found.length === 0 && p.includes('.'); ) {
      p = p.slice(0, p.lastIndexOf('.'));
      found = rowsOf(p);
    }
    expect(found, `docs row for ${path}`).toHaveLength(1);
    const word = { translated: 'translated', ignored: 'accepted, no effect', rejected: 'rejected' }[treatment];
    expect(found[0]!.split(' | ')[1]).toContain(word);
  });
});
