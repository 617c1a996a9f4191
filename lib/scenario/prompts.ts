/**
 * The "prepare prompts" step of a scenario run: prompts are built between stages, for the stage
 * about to run (its request count, or an estimate from its rate or concurrency and duration), so
 * building never competes with measuring. A stage that sends more than estimated (a
 * duration-bounded closed loop cannot know its count) gets more built in the background as it
 * nears the end of what is built; a send that catches up waits, and the wait shows as schedule
 * lag. Each request's body is made here too: its prompt, its model in turn, `max_tokens`
 * clamped to the target's. A multi-turn source (`DataSource.sessions`) gets its session plans
 * built the same way, a stage's estimate ahead of it; its prompts are then the warm-up's only.
 */
import type { ApiAdapter, Capabilities } from '../apis/adapter.ts';
import type { SessionPlan } from '../data/sessions.ts';
import type { DataSource } from '../data/source.ts';
import type { RequestSpec, SessionOptions } from '../load/runner.ts';
import type { StagePlan } from '../load/stage.ts';

/** Prompts built beyond a stage's estimate, so a send rarely waits for one. */
const HEADROOM = 256;

/** Requests a stage is expected to send, to build prompts ahead; the run builds more if it needs them. */
function stageBudget(p: StagePlan): number {
  const seconds = p.durationMs === null ? null : p.durationMs / 1000;
  const estimate =
    seconds === null
      ? Infinity
      : p.schedule.kind === 'open'
        ? Math.ceil((p.schedule.offeredRate ?? 100) * seconds * 1.2) + 16
        : // A closed loop sends about concurrency / latency requests a second; one a second per
          // user assumes a request takes about a second (LLM answers rarely take less). More are
          // built in the background if the stage needs them.
          p.schedule.concurrency * Math.ceil(seconds) + 16;
  return Math.min(p.maxRequests ?? Infinity, estimate);
}

/** What the prompts of a run are built from, and how a request is made of one. */
export interface PromptsInput {
  data: DataSource;
  adapter: ApiAdapter;
  caps: Capabilities;
  stream: boolean;
  models: readonly string[];
  /** The target's `max_tokens` limit, or null. */
  clampTo: number | null;
  warmup: number;
  /** The data index of the runner's request i. */
  dataIndex(i: number): number;
  /** Build nothing ahead (a replayed run sends nothing). */
  replay: boolean;
}

/** The prompts of one run, built ahead of each stage. */
export class PromptBuilder {
  private prepared = 0;
  private highestIndex = -1;
  private extending: Promise<void> | null = null;
  private builtDuringRun = 0;
  private measuring = false;
  /** The stage running has all its prompts built (a count-bounded stage): nothing to build during it. */
  private covered = false;
  private readonly clamped = new Set<number>();

  constructor(private readonly input: PromptsInput) {}

  /** Session plans built so far, and the highest session index a stage started. */
  private sessionsPrepared = 0;
  private highestSession = -1;
  private extendingSessions: Promise<void> | null = null;

  /** The `runLoad` sessions option of a multi-turn source (undefined for single prompts). */
  sessionOptions(): SessionOptions | undefined {
    const sessions = this.input.data.sessions;
    if (!sessions) return undefined;
    return { session: (i) => this.session(i), caps: this.input.caps, header: sessions.header };
  }

  /** Builds the prompts `plan` is expected to need (with the warm-up's when it is the first stage). */
  async prepareFor(plan: StagePlan, first: boolean): Promise<void> {
    if (this.input.replay) return;
    if (this.input.data.sessions) return this.prepareSessions(plan, first);
    const exact = plan.durationMs === null && plan.maxRequests !== null;
    const need = (first ? this.input.warmup : this.highestIndex + 1) + Math.min(stageBudget(plan), 100_000) + (exact ? 0 : HEADROOM);
    while (this.extending) await this.extending;
    if (need > this.prepared) {
      this.measuring = false;
      await this.extend(need);
    }
    this.covered = exact;
    this.measuring = true;
  }

  /** Multi-turn: the warm-up's single prompts before the first stage, and the sessions a stage is expected to start. */
  private async prepareSessions(plan: StagePlan, first: boolean): Promise<void> {
    if (first && this.input.warmup > this.prepared) await this.extend(this.input.warmup);
    const need = this.highestSession + 1 + Math.min(stageBudget(plan), 100_000);
    while (this.extendingSessions) await this.extendingSessions;
    if (need > this.sessionsPrepared) await this.extendSessions(need);
    // Only the warm-up sends single prompts, and theirs are all built.
    this.covered = true;
    this.measuring = true;
  }

  /** Session i's plan; more are built in the background as the run nears the end of those built. */
  private session(i: number): SessionPlan {
    if (i > this.highestSession) this.highestSession = i;
    if (i + HEADROOM >= this.sessionsPrepared && !this.extendingSessions) void this.extendSessions(Math.max(this.sessionsPrepared * 2, i + 2 * HEADROOM));
    return this.input.data.sessions!.session(i);
  }

  private extendSessions(to: number): Promise<void> {
    this.extendingSessions ??= this.input.data.sessions!.prepare(to).then(() => {
      this.sessionsPrepared = to;
      this.extendingSessions = null;
    });
    return this.extendingSessions;
  }

  /** The runner's request i: now when its prompt is built, else once it is. */
  request(i: number): RequestSpec | Promise<RequestSpec> {
    if (i > this.highestIndex) this.highestIndex = i;
    if (!this.covered && i + HEADROOM >= this.prepared && !this.extending) void this.extend(Math.max(this.prepared * 2, i + 2 * HEADROOM));
    if (i >= this.prepared) {
      return (async () => {
        while (i >= this.prepared) await this.extend(Math.max(this.prepared * 2, i + 2 * HEADROOM));
        return this.spec(i);
      })();
    }
    return this.spec(i);
  }

  /** What the report's notes say of the prompts: clamped `max_tokens`, the tokenizer, prompts built while measuring. */
  notes(model: string): string[] {
    const { data, clampTo } = this.input;
    const notes: string[] = [];
    for (const m of this.clamped) notes.push(`max_tokens ${m} clamped to the target's max_tokens ${clampTo}`);
    if (data.tokenizer.note) notes.push(data.tokenizer.note);
    if (!data.tokenizer.exact) {
      notes.push(`prompt sizes counted with the ${data.tokenizer.name} tokenizer, not ${model}'s own: approximate on the server (see input tokens from usage)`);
    }
    const said = data.summary?.();
    if (said) notes.push(said);
    if (this.builtDuringRun > 0) {
      notes.push(`${this.builtDuringRun} prompts were built during the run (it sent more than estimated); their cost shows in event-loop delay and schedule lag`);
    }
    return notes;
  }

  private extend(to: number): Promise<void> {
    // Prompts 0..to-1 of this process are data indices up to dataIndex(to - 1): a pod builds the others' too (not sent).
    this.extending ??= this.input.data.prepare(to === 0 ? 0 : this.input.dataIndex(to - 1) + 1).then(() => {
      if (this.measuring) this.builtDuringRun += to - this.prepared;
      this.prepared = to;
      this.extending = null;
    });
    return this.extending;
  }

  private spec(local: number): RequestSpec {
    const { data, adapter, caps, models, clampTo, stream } = this.input;
    const i = this.input.dataIndex(local);
    const p = data.get(i);
    let maxTokens = p.maxTokens;
    if (clampTo !== null && maxTokens > clampTo) {
      this.clamped.add(maxTokens);
      maxTokens = clampTo;
    }
    const model = models[i % models.length]!;
    const body = adapter.body({ model, prompt: p.text, maxTokens, stream }, caps);
    return { body, cell: p.cell, promptTokens: p.tokens, maxTokens, model };
  }
}
