import type { TestReport } from '../report/model.ts';
import { type SloEvaluation, evaluateSlo } from '../slo/evaluate.ts';
import type { SloFloors, SloProfile } from '../slo/profile.ts';

/** How a test names the SLO it asserts: a profile name, or limits (`{ ttft_p95_ms: 500 }`, camelCase accepted). */
export type SloSpec = string | Record<string, number>;

/**
 * The result of one `bench.run(...)`: the test's report (also in `task.meta`, for reporters) and
 * SLO evaluation on demand. Evaluations are added to the report, so reporters show every verdict
 * a test asserted, passed or not.
 */
export class BenchResult {
  constructor(
    /** Everything measured. */
    readonly report: TestReport,
    private readonly resolveSpec: (spec: SloSpec | undefined) => { profiles: SloProfile[]; floors: SloFloors },
  ) {}

  /** Statistics of the measured requests. */
  get stats(): TestReport['stats'] {
    return this.report.stats;
  }

  /** Evaluates an SLO (default: the scenario's configured one) and records the verdict in the report. */
  evaluate(spec?: SloSpec): SloEvaluation[] {
    const { profiles, floors } = this.resolveSpec(spec);
    const out = profiles.map((p) => evaluateSlo(p, this.report.stats, floors));
    for (const e of out) {
      const i = this.report.slo.findIndex((x) => x.profile === e.profile);
      if (i >= 0) this.report.slo[i] = e;
      else this.report.slo.push(e);
    }
    return out;
  }
}
