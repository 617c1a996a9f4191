/*
 * Validity beyond schedule lag, over loopback on the simulator: an open loop asked for 1e9
 * requests/s sends a few thousand a second, and a run cancelled part-way stopped early. Each is
 * invalid on that reason alone (the lag floor is set out of reach here), and `toMeetSLO` fails it
 * with the reason, although every limit holds; the terminal table says the limits hold but the
 * run is invalid, not a bare PASS.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestReport } from '../../lib/report/model.ts';
import { renderTable } from '../../lib/render/table.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import { BenchResult } from '../../lib/scenario/bench-result.ts';
import { runScenario, type ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { resolveAssertedSlo, resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import '../../lib/vitest/meta.ts';
import { toMeetSLO } from '../../lib/vitest/matchers.ts';
import { TIMEOUTS } from '../http/drive.ts';
import { simTarget, useSimRun } from './sim-target.ts';

const ctx = useSimRun('llmd-rate-validity-');
/** Limits that hold on the simulator, and a lag floor (also the event-loop limit) no run reaches. */
const SLO = resolveScenarioSlo({ limits: { e2e_p95_ms: 60_000 }, min_success_rate: 0.5, max_schedule_lag_p99_ms: 1e7 }, {}, 't.yaml');

async function run(name: string, scenario: ScenarioInput, o: { signal?: AbortSignal; requests?: RequestsFile } = {}): Promise<BenchResult> {
  const report: TestReport = await runScenario({
    suite: 'validity', name, scenario, target: simTarget(ctx.sim.url, 'words'), slo: SLO, timeouts: TIMEOUTS,
    runDir: ctx.dir, requests: o.requests ?? ctx.requests, overrides: [], seedSalt: name, ...(o.signal ? { signal: o.signal } : {}),
  });
  return new BenchResult(report, (spec) => resolveAssertedSlo(spec, SLO, {}, 't.yaml'));
}

/** A requests.jsonl that cancels the run once `after` measured requests are written. */
class CancellingFile extends RequestsFile {
  readonly abort = new AbortController();
  private measured = 0;
  constructor(path: string, private readonly after: number) {
    super(path);
  }
  override append(...args: Parameters<RequestsFile['append']>): void {
    super.append(...args);
    if (!args[2].warmup && ++this.measured === this.after) this.abort.abort(new Error('test cancelled the run'));
  }
}

const data = { type: 'synthetic', prompt_tokens: [16], max_tokens: [4] } as ScenarioInput['data'];

describe('an invalid run fails toMeetSLO whatever its limits', () => {
  test('rate 1e9: achieved a few thousand requests/s of 1e9 offered', async () => {
    const result = await run('flood', { stream: true, num_requests: 60, warmup_requests: 0, load: { type: 'constant', rate: 1e9 }, data });
    const r = result.report;
    expect(r.stats.requests.successful).toBe(60);
    expect(r.validity.valid).toBe(false);
    expect(r.validity.reasons).toHaveLength(1);
    expect(r.validity.reasons[0]).toMatch(/^achieved \d+(\.\d)? requests\/s of 1000000000 offered$/);
    const out = toMeetSLO(result);
    expect(out.pass).toBe(false);
    const lines = out.message().split('\n');
    expect(lines[0]).toBe(`validity/flood on the SIMULATOR (Qwen/Qwen3-0.6B): SLO not met: its limits hold but the measurement is invalid`);
    expect(lines).toContain(`run invalid: ${r.validity.reasons[0]}`);
    expect(r.slo[0]!.pass).toBe(true);
    const table = renderTable(r).replace(/\n +/g, ' ');
    expect(table).toContain(`INVALID RUN: ${r.validity.reasons[0]}`);
    expect(table).toContain('SLO limits: limits hold, but the run is INVALID: toMeetSLO fails it');
  });

  test('a run cancelled part-way stopped early', async () => {
    const file = new CancellingFile(join(ctx.dir, 'cancelled.jsonl'), 5);
    const result = await run('cancelled', { stream: true, num_requests: 100_000, warmup_requests: 0, load: { type: 'concurrency', concurrency: 1 }, data }, { signal: file.abort.signal, requests: file });
    file.close();
    const r = result.report;
    expect(r.run.stopped).toMatch(/^cancelled: /);
    expect(r.stats.requests.successful).toBeGreaterThanOrEqual(5);
    expect(r.slo[0]!.pass).toBe(true);
    expect(r.validity.valid).toBe(false);
    expect(r.validity.reasons).toEqual([`stopped early: ${r.run.stopped}`]);
    const out = toMeetSLO(result);
    expect(out.pass).toBe(false);
    expect(out.message()).toContain(`run invalid: stopped early: ${r.run.stopped}`);
  });
});
