import { ServerMetricsView } from '../prom/run-metrics.ts';
import type { TestReport, Validity } from '../report/model.ts';
import { type SloEvaluation, evaluateSlo } from '../slo/evaluate.ts';
import type { SloFloors, SloProfile } from '../slo/profile.ts';
import type { AssertSpec } from '../slo/resolve.ts';

/** How a test names the SLO it asserts (`AssertSpec`: a profile name, or limits). */
export type SloSpec = AssertSpec;

/**
 * The result of one `bench.run(...)`: the test's report (also in `task.meta`, for reporters) and
 * SLO evaluation on demand. Evaluations are added to the report, so reporters show every verdict
 * a test asserted, passed or not.
 */
export class BenchResult {
  constructor(
    /** Everything measured. */
    readonly report: TestReport,
    protected readonly resolveSpec: (spec: SloSpec | undefined) => { profiles: SloProfile[]; floors: SloFloors },
    /** Where verdicts are recorded: this report's list, or (for a stage) the whole test's. */
    private readonly record: (e: SloEvaluation) => void = (e) => upsert(report.slo, e),
    /**
     * Whether the test's numbers are valid: the whole test's validity, also for a stage's result
     * (a test with any invalid measured stage fails `toMeetSLO`, whichever stage it judges).
     */
    readonly validity: Validity = report.validity,
  ) {}

  /**
   * One stage of the run (a sweep level, the sustained phase of a ramp, a stage of a staged load)
   * by label or index, as a result of its own: `expect(result.stage('100 users')).toMeetSLO()`
   * judges that stage's statistics (and, like every verdict, fails when any measured stage of the
   * test is invalid). Its verdicts are recorded in the test's report as `<profile> @ <stage label>`.
   */
  stage(which: string | number): BenchResult {
    const st = typeof which === 'number' ? this.report.stages[which] : this.report.stages.find((s) => s.label === which);
    if (!st) {
      throw new Error(`no stage ${JSON.stringify(which)} in ${this.report.scenario}; stages: ${this.report.stages.map((s) => s.label).join(', ') || 'none'}`);
    }
    const view: TestReport = { ...this.report, stats: st.stats, validity: st.validity, slo: [] };
    return new BenchResult(view, this.resolveSpec, (e) => this.record({ ...e, profile: `${e.profile} @ ${st.label}` }), this.validity);
  }

  /** Statistics of the measured requests. */
  get stats(): TestReport['stats'] {
    return this.report.stats;
  }

  /**
   * The server metrics of the test's window, for assertions:
   * `expect(result.serverMetrics.metric('gpu.memoryUsedMiB')?.summary.max).toBeLessThan(70_000)`;
   * `result.serverMetrics.summary(name)` throws with the reason when the metric has no data.
   */
  get serverMetrics(): ServerMetricsView {
    return new ServerMetricsView(this.report.serverMetrics);
  }

  /** Evaluates an SLO (default: the scenario's configured one) and records the verdict in the report. */
  evaluate(spec?: SloSpec): SloEvaluation[] {
    const { profiles, floors } = this.resolveSpec(spec);
    const out = profiles.map((p) => evaluateSlo(p, this.report.stats, floors, { streamed: this.report.workload.stream }));
    for (const e of out) this.record(e);
    return out;
  }
}

function upsert(list: SloEvaluation[], e: SloEvaluation): void {
  const i = list.findIndex((x) => x.profile === e.profile);
  if (i >= 0) list[i] = e;
  else list.push(e);
}
