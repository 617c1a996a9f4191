/**
 * Translates an inference-perf config file's text as `suites/config` does, up to (not including)
 * the scenario schema's validation: the workload parsed part by part, then translated. For tests
 * of the translation itself, whose native data and load types are checked on their own.
 */
import { parse as parseYaml } from 'yaml';
import { dropNulls } from '../../lib/config/well-lit/ip-file.ts';
import { IssueList } from '../../lib/config/well-lit/issues.ts';
import { translateIpWorkload } from '../../lib/config/well-lit/translate-workload.ts';
import type { TranslatedScenario } from '../../lib/config/well-lit/translate-workload.ts';
import { IP_WORKLOAD_PARTS, IpWorkloadKeysSchema } from '../../lib/config/well-lit/workload-schema.ts';
import type { IpWorkload } from '../../lib/config/well-lit/workload-schema.ts';

/** The translation of one inference-perf workload (written at the top level, as in its own files), and the one-line problems. */
export interface IpTranslation {
  scenarios: TranslatedScenario[];
  problems: string[];
}

/** Translates inference-perf config `text` (named `file`), resolving trace paths against `cwd`. */
export function translateIpText(text: string, cwd: string, file = 'config.yml'): IpTranslation {
  const raw = dropNulls(parseYaml(text)) as Record<string, unknown>;
  const issues = new IssueList(file);
  issues.parse(IpWorkloadKeysSchema, raw, []);
  const w: Partial<IpWorkload> = {};
  for (const [key, schema] of Object.entries(IP_WORKLOAD_PARTS)) {
    if (raw[key] === undefined) continue;
    const parsed = issues.parse(schema, raw[key], [key]);
    if (parsed !== undefined) Object.assign(w, { [key]: parsed });
  }
  const scenarios = translateIpWorkload(file.replace(/\.ya?ml$/, ''), w, file, issues, [], cwd);
  return { scenarios, problems: issues.items.map((i) => `${i.path}: ${i.reason}`) };
}

/** The only scenario of a translation that must have no problems. */
export function onlyScenario(t: IpTranslation): Record<string, unknown> {
  if (t.problems.length > 0) throw new Error(t.problems.join('\n'));
  if (t.scenarios.length !== 1) throw new Error(`expected one scenario, got ${t.scenarios.length}`);
  return t.scenarios[0]!.scenario;
}
