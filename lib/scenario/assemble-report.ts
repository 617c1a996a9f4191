/**
 * The one place a `TestReport` is built: from the sections a scenario run measured and those
 * read or decided around it. Nothing changes a report after it is assembled; a producer that
 * needs the report to compute its section (the baseline gate renders it) is given one assembled
 * without that section, and the report is assembled again with it.
 */
import type { BaselineOutcome } from '../report/baseline.ts';
import type { DistributedReport } from '../report/distributed.ts';
import type { Interruption, MeasuredTest, ResolvedScenarioConfig, TestReport } from '../report/model.ts';
import type { PrefixCacheReport, ServerMetricsReport } from '../report/server-metrics.ts';

/** A distributed run's section, with what it adds to the validity and the notes. */
export interface DistributedSection {
  section: DistributedReport;
  /** Why the whole is invalid (a share missing, a pod invalid); none leaves the validity as measured. */
  invalid: string[];
  notes: string[];
}

/** Every section of one test's report; only `measured` is required. */
export interface ReportSections {
  measured: MeasuredTest;
  distributed?: DistributedSection | undefined;
  serverMetrics?: ServerMetricsReport | undefined;
  config?: ResolvedScenarioConfig | undefined;
  interrupted?: Interruption | undefined;
  baseline?: BaselineOutcome | undefined;
  prefixCache?: PrefixCacheReport | undefined;
}

/** The report of one test from its sections. */
export function assembleReport(s: ReportSections): TestReport {
  const { measured, distributed } = s;
  const extra = distributed?.invalid ?? [];
  return {
    ...measured,
    workload: distributed && distributed.notes.length > 0 ? { ...measured.workload, notes: [...measured.workload.notes, ...distributed.notes] } : measured.workload,
    validity: extra.length > 0 ? { valid: false, reasons: [...measured.validity.reasons, ...extra] } : measured.validity,
    ...(distributed ? { distributed: distributed.section } : {}),
    ...(s.serverMetrics ? { serverMetrics: s.serverMetrics } : {}),
    ...(s.config ? { config: s.config } : {}),
    ...(s.interrupted ? { interrupted: s.interrupted } : {}),
    ...(s.baseline ? { baseline: s.baseline } : {}),
    ...(s.prefixCache ? { prefixCache: s.prefixCache } : {}),
  };
}
