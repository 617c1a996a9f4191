/**
 * The "run stages" step of a scenario run: runs the load (warm-up, then each stage the planner
 * gives) with `runLoad` or the driver's runner, builds each stage's prompts before it starts,
 * and hands every finished record to the accounting and to `requests.jsonl`. Output text is
 * counted on a worker thread (tokenizing here would delay the chunk timestamps); a stage is
 * finished once every record of it is counted.
 */
import type { LoadOutcome } from '../load/runner.ts';
import { runLoad } from '../load/runner.ts';
import type { RunClock } from '../metrics/record.ts';
import { progressFromEnv } from '../progress/channel.ts';
import type { TokenCounter } from '../tokenizer/token-counter.ts';
import type { RunAccounting } from './accounting.ts';
import type { LoadShare, ScenarioDriver } from './driver.ts';
import type { RunPlan } from './plan-run.ts';
import type { PromptBuilder } from './prompts.ts';
import { retryPolicyOf, type ScenarioRunInput, stopRulesOf } from './scenario-input.ts';

/** Waits until every record handed to the token counter is counted. */
export class CountedRecords {
  private pending = 0;
  private drained: (() => void) | null = null;

  /** Resolves once nothing is being counted. */
  all(): Promise<void> | void {
    if (this.pending > 0) return new Promise<void>((resolve) => (this.drained = resolve));
  }

  /** Counts `text` with `counter`, then calls `done` with the count. */
  count(counter: TokenCounter, text: string, done: (n: number | null) => void): void {
    this.pending++;
    void counter.count(text).then((n) => {
      done(n);
      if (--this.pending === 0) this.drained?.();
    });
  }
}

/** Everything the stages run with. */
export interface StagesInput {
  input: ScenarioRunInput;
  plan: RunPlan;
  share: LoadShare;
  driver: ScenarioDriver;
  acc: RunAccounting;
  prompts: PromptBuilder;
  clock: RunClock;
  counter: TokenCounter | null;
  counted: CountedRecords;
}

/** Runs the load to its end (or its stop rule, or the signal) and returns the runner's outcome. */
export async function runStages(s: StagesInput): Promise<LoadOutcome> {
  const { input, plan, share, driver, acc, prompts, clock, counter, counted } = s;
  const { scenario: sc, target, name } = input;
  const sessions = prompts.sessionOptions();
  const progress = input.progress === undefined ? progressFromEnv() : input.progress;
  const stopProgress = progress?.(`${input.suite}/${name}`, () => acc.progressOf(share.planner.plannedStages, share.warmup));
  const finishStage = (o: LoadOutcome['stages'][number]): void => {
    // A pod's stage start, written once the stage is over: a write as it starts would delay its first sends.
    driver.stageEnded?.(o, clock);
    acc.finishStage(o);
  };
  const outcome = await (driver.runLoad ?? runLoad)({
    target: target.http,
    adapter: plan.adapter,
    model: target.info.model,
    stream: sc.stream,
    plan: {
      description: share.planner.description,
      plannedStages: share.planner.plannedStages,
      next: async (done) => {
        const last = done.at(-1);
        if (last) {
          await counted.all();
          finishStage(last);
        }
        const next = await share.planner.next(done);
        if (next) {
          await prompts.prepareFor(next, !last);
          acc.openPlan(next);
        }
        return next;
      },
    },
    onStageStart(index, start) {
      acc.stageStarted(index, start);
    },
    ...(driver.beforeStage ? { beforeStage: (index: number) => driver.beforeStage!(index), seqOf: (i: number) => share.dataIndex(i) } : {}),
    warmup: share.warmup,
    stopRules: stopRulesOf(sc.stop, plan.load),
    retry: retryPolicyOf(sc.retry),
    timeouts: input.timeouts,
    ...(input.limits ? { limits: input.limits } : {}),
    clock,
    requestIdPrefix: `${input.suite}-${name}-${clock.hrtimeUs.toString(36)}`,
    keepText: plan.countOutput,
    signal: input.signal,
    stallLimitMs: input.slo.floors.maxScheduleLagP99Ms,
    request: (i) => prompts.request(i),
    ...(sessions ? { sessions } : {}),
    onRecord(r, text) {
      const record = (): void => input.requests.append(name, clock, r, acc.record(r), plan.definitions);
      if (!counter || !text) return record();
      counted.count(counter, text, (n) => {
        r.tokenizerOutputTokens = n;
        record();
      });
    },
  }).finally(() => stopProgress?.());
  await counted.all();
  const last = outcome.stages.at(-1);
  if (last && acc.reports.length < acc.stages.length) finishStage(last);
  acc.excludePauses(outcome.stages);
  return outcome;
}
