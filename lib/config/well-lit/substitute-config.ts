/**
 * `$VAR` / `${VAR}` substitution for a well-lit-path config (what the guides' `envsubst` step
 * does; see `../substitute.ts`), with every problem handed to the file's `IssueList` so they are
 * reported together with its schema problems, and one leniency: a variable used only where its
 * value cannot matter is not required. That is
 * - a key accepted without effect (`key-policy.ts`, status `ignored`: `endpoint.namespace`,
 *   `harness.results_pvc`, `control.work_dir`, ...), and
 * - the endpoint URL (`endpoint.base_url`, `workload.*.server.base_url`) when the environment
 *   replaces it: `BENCH_PROVISION`, `BENCH_TARGET` or `BENCH_BASE_URL` is set (the precedence of
 *   `choose-target.ts`).
 * Such a value keeps its unset references as written, and the `ignored` list says which
 * variables were unset there and why that did not matter. A replaced URL with an unset variable
 * is not validated or used at all (its text is not a URL): it is dropped from what the schemas see.
 */
import { settings } from '../../settings/registry.ts';
import { formatPath } from '../format-issues.ts';
import { redactValue } from '../redact.ts';
import { substituteDocumentCollect } from '../substitute.ts';
import type { DocumentSubstitution, Env, KeptValue } from '../substitute.ts';
import type { Document } from 'yaml';
import type { IssueList } from './issues.ts';
import { pathPattern, ruleFor, type IgnoredKey } from './key-policy.ts';
import { MODEL_PATTERNS, rewriteProfileTokens, unsetTokenAllowed } from './profile-tokens.ts';

/** The URL keys the environment replaces. */
const URL_PATTERNS = new Set(['endpoint.base_url', 'workload.*.server.base_url']);

/** What replaces the file's endpoint URL in `env`, as `env NAME`, if anything does. */
export function urlReplacedBy(env: Env): string | undefined {
  const s = settings(env);
  const name = (['BENCH_PROVISION', 'BENCH_TARGET', 'BENCH_BASE_URL'] as const).find((n) => s.get(n) !== undefined);
  return name && `env ${name}`;
}

/** Substitutes `doc` in place for environment `env`; nothing is thrown (see `applySubstitution`). */
export function substituteConfig(doc: Document, env: Env): DocumentSubstitution {
  const replacedBy = urlReplacedBy(env);
  const tokens = rewriteProfileTokens(doc);
  return substituteDocumentCollect(doc, env, {
    unsetAllowed(path) {
      if (replacedBy && URL_PATTERNS.has(pathPattern(path))) return `${replacedBy} replaces this URL`;
      const model = unsetTokenAllowed(doc, tokens, path);
      if (model !== undefined) return model;
      for (let n = path.length; n > 0; n--) {
        if (ruleFor(path.slice(0, n))?.status === 'ignored') return 'accepted, no effect';
      }
      return undefined;
    },
  });
}

/**
 * Records the substitution problems in `issues` and drops the replaced URLs left with unset
 * references from `raw` (the file as plain data), so that the schemas neither check nor use them.
 * Call `dropShadowed` once the file's other problems are in: it removes those found at a value
 * whose substitution failed (its text is not the value meant, so they would only repeat the one
 * problem, e.g. `got "${LOAD_TYPE}"`).
 */
export function applySubstitution(raw: unknown, sub: DocumentSubstitution, issues: IssueList): { dropShadowed(): void } {
  for (const p of sub.problems) {
    const url = URL_PATTERNS.has(pathPattern(p.path)) && p.reason.startsWith('environment variable');
    issues.add(p.path, url ? `${p.reason} (or set BENCH_BASE_URL or BENCH_TARGET, which replace this URL)` : p.reason);
  }
  const own = new Set(issues.items);
  for (const k of sub.kept) {
    if (!URL_PATTERNS.has(pathPattern(k.path)) && !MODEL_PATTERNS.has(pathPattern(k.path))) continue;
    const parent = k.path.slice(0, -1).reduce<unknown>((node, key) => (isMapping(node) ? node[String(key)] : undefined), raw);
    if (isMapping(parent)) delete parent[String(k.path.at(-1))];
  }
  const shadowed = new Set(sub.problems.flatMap((p) => p.usedAt.map((at) => formatPath(at))));
  return {
    dropShadowed() {
      const keep = issues.items.filter((i) => own.has(i) || !shadowed.has(i.path));
      issues.items.splice(0, issues.items.length, ...keep);
    },
  };
}

/**
 * `ignored` with a word on every kept value (`fileWorkload`: the workload of an inference-perf
 * file, whose keys sit at the top level): the entry of the ignored key it sits under gets the
 * unset variables added to its reason; a replaced URL gets its own entry.
 */
export function noteUnsetVariables(ignored: IgnoredKey[], kept: readonly KeptValue[], secrets: readonly string[], fileWorkload?: string): IgnoredKey[] {
  const out = ignored.map((k) => ({ ...k }));
  for (const k of kept) {
    const path = formatPath(k.path);
    const names = k.unset.length === 1 ? k.unset[0] : `${k.unset.slice(0, -1).join(', ')} and ${k.unset.at(-1)}`;
    const unset = `${names} ${k.unset.length === 1 ? 'is' : 'are'} not set`;
    const under = out.find((i) => path === i.path || path.startsWith(`${i.path}.`) || path.startsWith(`${i.path}[`));
    if (under) {
      const note = `; ${unset}${path === under.path ? '' : ` at ${path}`}, which does not matter here`;
      if (!under.reason.includes(note)) under.reason += note;
      continue;
    }
    const workload = k.path[0] === 'workload' ? String(k.path[1]) : fileWorkload;
    out.push({ path, value: redactValue(k.value, secrets), reason: `${unset}, which does not matter: ${k.reason}`, ...(workload === undefined ? {} : { workload }) });
  }
  return out;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
