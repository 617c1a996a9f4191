/**
 * The config room: schemas of `targets.yaml` and scenario files, YAML loading with `${VAR}`
 * substitution, one-line errors, and resolution of the run's target and scenarios from files
 * and `BENCH_*` environment variables; `well-lit/` reads llm-d well-lit-path benchmark configs
 * (and harness matrices) as they are.
 */
export { closestName, didYouMean, editDistance } from './closest-name.ts';
export { envEnum, envNonNegativeInt, envPositiveInt, envPositiveNumber, envString, envTimerSeconds } from './env.ts';
export type { ConfigOverride } from './env.ts';
export { formatPath, validateConfig } from './format-issues.ts';
export { displayPath, loadConfigFile, parseYamlDocument, readConfigText } from './load-file.ts';
export type { LoadedConfig, LoadOptions } from './load-file.ts';
export { isSecretName, REDACTED, redactText, redactValue, SECRET_NAME_PATTERN } from './redact.ts';
export { applyScenarioOverrides, loadScenarioFile } from './resolve-scenarios.ts';
export type { LoadedScenarioFile } from './resolve-scenarios.ts';
export { loadTargetsFile, NOTHING_CONFIGURED, resolveTarget } from './resolve-target.ts';
export type { EndpointTarget, ResolveTargetOptions, TargetSelection } from './resolve-target.ts';
export { substituteDocument, substituteDocumentCollect, substituteString, substituteText } from './substitute.ts';
export { chooseConfigTarget, KEY_RULES, loadWellLitConfig, prepareWellLitRun } from './well-lit/index.ts';
export type { ConfigTargetChoice, KeyRule, WellLitConfig, WellLitRun } from './well-lit/index.ts';
export type { DocumentSubstitution, Env, KeptValue, SubstituteOptions, Substituted, SubstitutionProblem, SubstitutionSite, SubstitutionSyntax } from './substitute.ts';
export * from './schema/data.ts';
export * from './schema/load.ts';
export * from './schema/scenario.ts';
export * from './schema/simulator.ts';
export * from './schema/slo.ts';
export * from './schema/target.ts';
export * from './schema/targets-file.ts';
export * from './schema/timeouts.ts';
export * from './schema/limits.ts';
