import { type ApiRequest, commonBodyFields } from '../apis/adapter.ts';
import type { SessionPlan } from '../data/sessions.ts';
import type { RequestRecord, SessionTurn } from '../metrics/record.ts';
import type { Launcher } from './loops.ts';
import type { RunControl, StageState } from './run-control.ts';
import type { RequestSpec, RunnerOptions, SessionOptions } from './run-options.ts';
import type { Sender } from './send.ts';

/*
 * Multi-turn sessions on the runner's loops: where a loop would send a request, it starts a
 * session (`SessionRunner.stage` gives the loops a `Launcher` of sessions), and the session sends
 * its turns one after the other through the run's `Sender`, each `thinkS` after the previous
 * response ended, carrying the conversation so far. A session keeps only its own conversation
 * (append-only, the server's actual response text), and drops it when it ends.
 */

/** Default name of the header that carries the session id. */
export const SESSION_HEADER = 'x-session-id';

const CUT_UNSENT = 'cut: the stage ended before the turn was due';

type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** The run's sessions: the next session's index, and the sessions waiting out a think time. */
export class SessionRunner {
  private next = 0;
  /** Sessions waiting for their next turn's send time. */
  readonly waiting = new Set<LiveSession>();
  readonly header: string;

  constructor(
    readonly o: RunnerOptions,
    readonly so: SessionOptions,
    readonly control: RunControl,
    readonly sender: Sender,
  ) {
    this.header = so.header ?? SESSION_HEADER;
    // A stage that ends (deadline, stop rule) or a run that stops ends the waits whose turn can no
    // longer go, rather than at their send time.
    control.wakeTurns = () => {
      for (const s of this.waiting) s.recheck();
    };
  }

  /**
   * The launcher a stage's loop starts sessions with: each `send` starts the run's next session
   * at `intended` (its first turn's send time), and its `after` runs when the session ended.
   * Turns due at or after `deadline` (the stage's time) are recorded as cut.
   */
  stage(deadline: number): Launcher {
    return {
      send: (st, intended, after) => {
        if (!st) throw new TypeError('sessions run in stages, not in warm-up');
        const i = this.next++;
        let plan: SessionPlan;
        try {
          plan = this.so.session(i);
          if (!plan?.turns?.length) throw new TypeError(`session ${i}: no session plan, or one without turns`);
        } catch (err) {
          this.control.fail(err, 'a session could not be prepared');
          return after(performance.now());
        }
        new LiveSession(this, plan, st, deadline, after).turn(intended);
      },
    };
  }

  /** The body of a turn: the chat messages so far, or the completions prompt so far. */
  body(conversation: ChatMessage[] | string, maxTokens: number): string {
    const { o } = this;
    const req: ApiRequest = { model: o.model, prompt: typeof conversation === 'string' ? conversation : '', maxTokens, stream: o.stream };
    return typeof conversation === 'string'
      ? o.adapter.body(req, this.so.caps)
      : JSON.stringify({ ...commonBodyFields(req, this.so.caps), messages: conversation });
  }
}

/** One session while it runs: its next turn and the conversation so far. */
class LiveSession {
  /** The next turn to send. */
  private k = 0;
  /** Chat: the messages so far (system, then user and assistant in turn). */
  private messages: ChatMessage[] = [];
  /**
   * Completions: the prompt so far, appended to (V8 keeps the appends as a rope that the body's
   * JSON encoding flattens once, so a turn does not copy the conversation twice).
   */
  private prompt = '';
  /** Prompt tokens of the conversation so far (sources' counts, and the server's for responses). */
  private tokens: number;
  private readonly headers: Record<string, string>;
  private readonly chat: boolean;
  /** Send time of the next turn while waiting for it. */
  private due = 0;
  private timer: NodeJS.Timeout | null = null;
  private spin: NodeJS.Immediate | null = null;
  private over = false;

  constructor(
    private readonly runner: SessionRunner,
    private readonly plan: SessionPlan,
    private readonly st: StageState,
    private readonly deadline: number,
    private readonly after: (end: number) => void,
  ) {
    this.headers = { [runner.header]: plan.id };
    this.chat = runner.o.adapter.type === 'chat';
    this.tokens = plan.systemTokens;
    if (this.chat && plan.system) this.messages.push({ role: 'system', content: plan.system });
    else if (plan.system) this.prompt = plan.system;
  }

  /** Sends turn k at `intended`, or ends the session when it can no longer go. */
  turn(intended: number): void {
    if (this.runner.control.stopped) return this.finish(performance.now());
    if (this.st.stopRule || intended >= this.deadline || performance.now() >= this.deadline) return this.cutRest(intended);
    const t = this.plan.turns[this.k]!;
    let body: string;
    if (this.chat) {
      this.messages.push({ role: 'user', content: t.text });
      body = this.runner.body(this.messages, t.maxTokens);
    } else {
      this.prompt += t.text;
      body = this.runner.body(this.prompt, t.maxTokens);
    }
    this.tokens += t.tokens;
    this.runner.sender.sendSpec(this.st, intended, this.specOf(this.k, body), this.done);
  }

  /** Ends the wait for the next turn now when that turn can no longer go (run stopped, stop rule, due past the stage's time). */
  recheck(): void {
    const { control } = this.runner;
    if (!control.stopped && !this.st.stopRule && this.due < this.deadline) return;
    this.stopWaiting();
    this.turn(this.due);
  }

  private specOf(k: number, body: string): RequestSpec {
    const session: SessionTurn = { id: this.plan.id, turn: k, turns: this.plan.turns.length, cut: false };
    return { body, cell: this.plan.cell, promptTokens: this.tokens, maxTokens: this.plan.turns[k]!.maxTokens, headers: this.headers, session };
  }

  // The record is not delivered yet (`Sender.complete` runs this first), so its `session` may be annotated.
  private readonly done = (end: number, r: RequestRecord, text: string): void => {
    const s = r.session!;
    const failure = r.error?.class;
    if (failure === 'cut') {
      s.cut = true;
      this.k++;
      // Deferred, so the cut turn's record is delivered before those of the turns after it.
      if (this.k < this.plan.turns.length) setImmediate(() => this.cutRest(end));
      else {
        s.end = 'cut';
        this.finish(end);
      }
      return;
    }
    if (failure) {
      s.end = failure === 'cancelled' ? 'stopped' : 'failed';
      return this.finish(end);
    }
    if (this.chat) this.messages.push({ role: 'assistant', content: text });
    else this.prompt += text;
    this.tokens += r.usage?.completionTokens ?? r.tokenizerOutputTokens ?? 0;
    if (++this.k === this.plan.turns.length) {
      s.end = 'completed';
      return this.finish(end);
    }
    this.wait(end + this.plan.turns[this.k]!.thinkS * 1000);
  };

  private wait(due: number): void {
    this.due = due;
    if (due <= performance.now()) return this.turn(due);
    this.runner.waiting.add(this);
    this.timer = setTimeout(this.fire, due - performance.now());
  }

  // Timers count whole milliseconds and may fire a fraction early: the rest is waited out on the
  // event loop, so a turn never goes before its think time is over.
  private readonly fire = (): void => {
    this.timer = null;
    this.spin = null;
    if (performance.now() < this.due) {
      this.spin = setImmediate(this.fire);
      return;
    }
    this.runner.waiting.delete(this);
    this.turn(this.due);
  };

  private stopWaiting(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.spin) clearImmediate(this.spin);
    this.timer = this.spin = null;
    this.runner.waiting.delete(this);
  }

  /** Records turn k and the turns after it as cut, never sent (the stage ended first), and ends the session. */
  private cutRest(intended: number): void {
    if (this.runner.control.stopped) return this.finish(performance.now());
    const n = this.plan.turns.length;
    for (; this.k < n; this.k++) {
      this.tokens += this.plan.turns[this.k]!.tokens;
      const spec = this.specOf(this.k, '');
      spec.session!.cut = true;
      if (this.k === n - 1) spec.session!.end = 'cut';
      this.runner.sender.cutUnsent(this.st, intended, spec, CUT_UNSENT);
    }
    this.finish(performance.now());
  }

  /** Ends the session: its conversation is released and its loop's slot freed. */
  private finish(end: number): void {
    if (this.over) return;
    this.over = true;
    this.stopWaiting();
    this.messages = [];
    this.prompt = '';
    this.after(end);
  }
}
