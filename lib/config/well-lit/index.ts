/**
 * Running the configs users already have: an llm-d well-lit-path benchmark `config.yaml`
 * (sections `endpoint`, `control`, `harness`, `env`, `workload` with inference-perf workloads)
 * and the harness matrix (`concurrency` × `isl_osl`, `endpoint_type`), read as is, validated key
 * by key, and translated into a scenario file and a target. `suites/config` runs them
 * (`BENCH_CONFIG=config.yaml npx vitest run suites/config`).
 */
export { chooseConfigTarget } from './choose-target.ts';
export type { ConfigTargetChoice } from './choose-target.ts';
export { IssueList } from './issues.ts';
export type { WellLitIssue } from './issues.ts';
export { KEY_RULES, pathPattern, ruleFor } from './key-policy.ts';
export type { IgnoredKey, KeyRule, KeyStatus } from './key-policy.ts';
export { loadWellLitConfig } from './load-config.ts';
export type { LoadWellLitOptions, WellLitConfig } from './load-config.ts';
export { MATRIX_MARKERS, MatrixEntrySchema } from './matrix-schema.ts';
export type { MatrixEntry } from './matrix-schema.ts';
export { prepareWellLitRun } from './prepare-run.ts';
export type { WellLitRun } from './prepare-run.ts';
export { EndpointSectionSchema, EnvSectionSchema, HarnessSectionSchema, ControlSectionSchema, WellLitFileSchema } from './sections-schema.ts';
export type { ConfigEndpoint } from './translate-target.ts';
export { PROMPTS_PER_CONCURRENCY } from './translate-matrix.ts';
export { IpWorkloadSchema } from './workload-schema.ts';
export type { IpWorkload } from './workload-schema.ts';
