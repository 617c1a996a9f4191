/**
 * The one report model every reporter renders: a suite's run, as the main process collects it
 * from the tests' `task.meta` (benchmark tests: `TestReport`; actuation tests: `ActuationReport`)
 * and the environment of the run. Every file in the run
 * folder — summary.json, junit.xml, report.html, the llm-d benchmark reports — is a pure render
 * of a `RunReport`, so each is tested on fixed models, and they cannot disagree.
 */
import type { ActuationReport } from './actuation.ts';
import type { HookReport, Interruption, RunDescription, TestReport } from './model.ts';

/** Tool identity stamped on every report. */
export interface ToolInfo {
  name: string;
  version: string;
  node: string;
}

/** Where a run ran: tool and Node versions, host, git checkout, settings (secrets redacted), targets and clusters (`environment.json`). */
export interface EnvironmentInfo {
  schema: 'vitest-llm-d/environment@1';
  /** When it was recorded (ISO 8601 UTC). */
  recordedAt: string;
  tool: ToolInfo;
  node: string;
  platform: string;
  arch: string;
  osRelease: string;
  host: { cpus: number; cpuModel: string; memoryGiB: number };
  /** Versions of the packages that shape measurements. */
  packages: Record<string, string>;
  /** The suites' git checkout: commit, branch, uncommitted changes; null outside a git checkout. */
  git: { commit: string; branch: string | null; dirty: boolean } | null;
  /** The command line (after `node`), secrets redacted. */
  command: string[];
  cwd: string;
  /** Recorded settings (`BENCH_*`, `OPENAI_*`, `KUBECONFIG`, ...); secret-looking ones as `***`. */
  env: Record<string, string>;
  /** Targets the tests measured. */
  targets: Array<{ name: string; kind: string; origin: string; baseUrl: string; model: string; backend: string; serverVersion: string | null; accelerator: string | null; servedModels: string[] }>;
  /** Clusters the tests used: API server, context, server version, and the provisioned namespace when there was one. */
  clusters: Array<{ kind: string; server: string; context: string; serverVersion?: string; namespace?: string }>;
}

/** A test of the suite that produced no report (it failed before or while measuring). */
export interface FailedTest {
  name: string;
  state: string;
  error: string;
  /** The config's workload hooks that ran around it (a failed pre hook is why it has no report). */
  hooks?: HookReport[];
}

/** What a config suite's test adds to its report (`suites/config`): the config's description of the run and the workload hooks that ran around it. */
export interface TestLabels {
  runDescription?: RunDescription;
  hooks?: HookReport[];
}

/** A test's Vitest outcome next to its report. `error`: first error of a failed test (its assertion message); `durationMs`: Vitest's duration. */
export interface Outcome<R> extends TestLabels {
  report: R;
  state: string;
  error?: string;
  durationMs?: number;
}

/** One suite's run: everything that goes into its run folder `results/<stamp>-<suite>/`. */
export interface RunReport {
  /** Suite name: the folder under `suites/`. */
  suite: string;
  /** The run's UTC start, file-name safe (`2026-11-23T10-55-00Z`). */
  stamp: string;
  /** The run folder (absolute). */
  runDir: string;
  tool: ToolInfo;
  /** The suite's test files that ran, relative to the working directory (what `rerun` runs again). */
  testFiles: string[];
  /** Benchmark tests with their reports (including failed ones that measured). */
  tests: Array<Outcome<TestReport>>;
  /** Actuation tests' reports (suites/actuation), including those of tests that failed after measuring. */
  actuation: Array<Outcome<ActuationReport>>;
  /** Tests that failed without producing a report. */
  failed: FailedTest[];
  /** Tests that were skipped (`skip`, `todo`, `ctx.skip(note)`), with the note when one was given. */
  skipped: Array<{ name: string; note: string | null }>;
  /** Where the run ran (tool and Node versions, git commit, target, cluster), secrets redacted; null when no worker recorded it. */
  environment: EnvironmentInfo | null;
  /** Set when the run was interrupted (a signal, a worker that died): its reports hold what finished. */
  interrupted?: Interruption;
  /** The run's description from its config file (`suites/config`), also when no test measured. */
  runDescription?: RunDescription;
}

/** Target kinds of a run's tests (`simulator`, `endpoint`; actuation: the cluster's kind). */
export function targetKinds(r: Pick<RunReport, 'tests' | 'actuation'>): string[] {
  return [...new Set([...r.tests.map((t) => t.report.target.kind), ...r.actuation.map((t) => t.report.cluster.kind)])];
}
