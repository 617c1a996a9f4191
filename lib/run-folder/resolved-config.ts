/**
 * `config.yaml` of a run folder: what the run ran, every override applied and every data seed
 * fixed, secrets redacted. `lib/config/rerun.ts` reads it back for `vitest-llm-d rerun`.
 */
import { stringify } from 'yaml';
import { isSecretName } from '../config/redact.ts';
import { RESOLVED_CONFIG_SCHEMA, type ResolvedConfig } from '../config/rerun.ts';
import type { RunReport } from '../report/run-report.ts';

/** The `config.yaml` text of a suite's run. */
export function renderResolvedConfig(run: RunReport): string {
  const files: ResolvedConfig['files'] = {};
  for (const t of run.tests) {
    const c = t.report.config;
    if (!c) continue;
    const f = (files[c.file] ??= { scenarios: {} });
    f.scenarios[t.report.scenario] = c.scenario;
    if (c.sloProfiles) f.slo_profiles = c.sloProfiles;
    if (c.simulator) f.simulator = c.simulator;
  }
  const settings: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [k, v] of Object.entries(run.environment?.env ?? {})) {
    if (isSecretName(k)) secrets.push(k);
    else if (k.startsWith('BENCH_')) settings[k] = v;
  }
  const config: ResolvedConfig = {
    schema: RESOLVED_CONFIG_SCHEMA,
    suite: run.suite,
    run: run.stamp,
    test_files: run.testFiles,
    settings,
    secrets,
    targets: (run.environment?.targets ?? []).map((t) => ({ name: t.name, kind: t.kind, origin: t.origin, base_url: t.baseUrl, model: t.model })),
    files,
  };
  const head = [
    `# What run ${run.stamp} of suite ${run.suite} ran: each scenario with every override applied and`,
    '# its data seed fixed (secrets redacted). Repeat it with:',
    `#   npx vitest-llm-d rerun ${run.runDir}`,
  ];
  return `${head.join('\n')}\n${stringify(config, { lineWidth: 0 })}`;
}
