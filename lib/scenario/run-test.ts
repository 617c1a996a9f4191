/**
 * One benchmark test (`bench.run(ref)`): what runs around a scenario run and the sections read
 * or decided around it. In a distributed run (`vitest-llm-d launch`) the caller's `roleOf`
 * (`lib/distributed/test-role.ts`) gives a pod its share of the load and the launcher's merge run
 * a replay of the pods' records. Server metrics are read over the test's
 * window, the scenario's config is recorded with its secrets redacted, an interruption is noted,
 * and with `BENCH_BASELINE` the test is compared with the baseline run (which reads the report
 * assembled without it). The report is assembled from those sections (`assemble-report.ts`),
 * and published (`task.meta.llmd`) each time it is.
 */
import type { LoadedScenarioFile } from '../config/resolve-scenarios.ts';
import { redactValue } from '../config/redact.ts';
import { responseLimits } from '../config/schema/limits.ts';
import type { Scenario } from '../config/schema/scenario.ts';
import type { Env } from '../config/substitute.ts';
import { baselinePath, compareWithBaseline } from '../baseline/gate.ts';
import { scrubError } from '../http/server-text.ts';
import { startServerMetrics } from '../prom/run-session.ts';
import type { MeasuredTest, ResolvedScenarioConfig, TestReport } from '../report/model.ts';
import { type RunInfo, runDirOf } from '../report/run-info.ts';
import { resolveAssertedSlo, resolveScenarioSlo } from '../slo/resolve.ts';
import { type DistributedSection, type ReportSections, assembleReport } from './assemble-report.ts';
import { BenchResult, type SloSpec } from './bench-result.ts';
import type { RoleOf } from './driver.ts';
import type { RunSlo } from './judge.ts';
import { timeoutsMs, type OpenedTarget } from './open.ts';
import { measureScenario } from './run-scenario.ts';
import { interruptionOf, requestsFile } from './worker-state.ts';

type Override = { path: string; value: unknown; source: string };

/** One test's scenario: its suite, its name and config, and the file it came from. */
export interface TestScenario {
  suite: string;
  name: string;
  config: Scenario;
  file: LoadedScenarioFile;
  /** The environment the suite runs in (the process's, plus a config's `env` entries): every setting of the test is read from it. */
  env: Env;
}

/** What a test runs with. */
export interface TestRunInput {
  scenario: TestScenario;
  target: OpenedTarget;
  runInfo: RunInfo;
  /** Stops the run (the test's signal, or the worker's stop signal). */
  stop: AbortSignal;
  /** Config values the target's settings changed (listed first in the report's overrides). */
  targetOverrides: Override[];
  /** The test's own overrides (how a translated config was read), listed last. */
  overrides: Override[];
  /** Skips the test with a note (a search load in a pod other than pod 0). */
  skip: (note: string) => never;
  /** Called with the report as it is assembled: before the baseline comparison, and again with it. */
  publish: (report: TestReport) => void;
  /** The test's role when this process is not the whole run on its own (a pod or the merge of a distributed run); unset: always the whole run. */
  roleOf?: RoleOf;
}

/**
 * A test's result that can take sections read after its run (the prefix-cache reading): its
 * report is assembled again with them and published in place of the one before.
 */
export class TestResult extends BenchResult {
  constructor(
    private readonly sections: ReportSections,
    private readonly publish: (report: TestReport) => void,
    resolveSpec: ConstructorParameters<typeof BenchResult>[1],
  ) {
    const report = assembleReport(sections);
    publish(report);
    super(report, resolveSpec);
  }

  /** This result with `more` sections in its report. */
  withSections(more: Pick<ReportSections, 'prefixCache'>): TestResult {
    return new TestResult({ ...this.sections, ...more }, this.publish, this.resolveSpec);
  }
}

/** Runs one test and returns its result; its report carries every section. */
export async function runTest(input: TestRunInput): Promise<TestResult> {
  const { scenario: ref, target, stop } = input;
  const { file, env } = ref;
  const profiles = file.config.slo_profiles ?? {};
  const configured = resolveScenarioSlo(ref.config.slo, profiles, file.source);
  const runDir = runDirOf(input.runInfo, ref.suite);
  const prefix = `scenarios.${ref.name}.`;
  const role = input.roleOf ? await input.roleOf({ suite: ref.suite, scenario: ref.name, load: ref.config.load, runDir, target, stop }) : null;
  if (role?.skip) input.skip(role.skip);
  const driver = role?.driver;
  // Server metrics over the test's window: Prometheus after the run, or the target's /metrics
  // scraped during it (not in a merge: the run is over, only Prometheus still has the window).
  const serverMetrics = startServerMetrics({ target, config: file.config.metrics, signal: stop, env: role && !role.scrape ? { ...env, BENCH_METRICS_SCRAPE: 'off' } : env });
  const measured = await measureScenario({
    suite: ref.suite,
    name: ref.name,
    scenario: ref.config,
    target,
    slo: configured,
    timeouts: timeoutsMs(target.timeoutOverrides, ref.config.timeouts),
    limits: responseLimits(env, ref.config.limits, target.limitOverrides),
    runDir,
    requests: requestsFile(runDir),
    overrides: [...input.targetOverrides, ...file.overrides.filter((o) => o.path.startsWith(prefix)), ...input.overrides],
    signal: stop,
    seedSalt: input.runInfo.stamp,
    ...(driver ? { driver } : {}),
  }).catch((err: unknown) => {
    serverMetrics.cancel();
    throw scrubError(err);
  });
  const distributed: DistributedSection | undefined = role?.section(measured, configured.floors.maxScheduleLagP99Ms);
  const sections: ReportSections = {
    measured,
    distributed,
    serverMetrics: await serverMetrics.finish(measured),
    config: resolvedConfig(ref, measured),
    interrupted: stop.aborted ? interruptionOf(stop.reason) : undefined,
  };
  const resolveSpec = (spec: SloSpec | undefined): RunSlo => resolveAssertedSlo(spec, configured, profiles, file.source);
  const result = new TestResult(sections, input.publish, resolveSpec);
  // BENCH_BASELINE: every test compares itself with the baseline run and fails (softly: its own
  // SLO assertions still run and report) on a significant regression beyond tolerance.
  const baseline = baselinePath(env);
  if (!baseline) return result;
  return new TestResult({ ...sections, baseline: await compareWithBaseline(result.report, baseline, ref.config.regression, env) }, input.publish, resolveSpec);
}

/** The scenario as it ran (every override applied, the data seed used), with the file's SLO profiles and simulator settings; secrets redacted. */
function resolvedConfig(ref: TestScenario, measured: MeasuredTest): ResolvedScenarioConfig {
  const { file } = ref;
  const { secrets } = file;
  return {
    file: file.source,
    scenario: redactValue({ ...ref.config, data: measured.workload.data.config ?? ref.config.data }, secrets) as Record<string, unknown>,
    ...(file.config.slo_profiles ? { sloProfiles: redactValue(file.config.slo_profiles, secrets) as Record<string, unknown> } : {}),
    ...(file.config.simulator ? { simulator: redactValue(file.config.simulator, secrets) as Record<string, unknown> } : {}),
  };
}
