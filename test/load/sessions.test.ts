import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { API_ADAPTERS, capabilitiesFor } from '../../lib/apis/index.ts';
import { DEFAULT_RESPONSE_LIMITS } from '../../lib/config/schema/limits.ts';
import type { SessionPlan } from '../../lib/data/sessions.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import { type LoadOutcome, runLoad } from '../../lib/load/runner.ts';
import type { Schedule } from '../../lib/load/schedule.ts';
import { fixedPlanner, type StagePlan } from '../../lib/load/stage.ts';
import type { RequestRecord } from '../../lib/metrics/record.ts';
import { type SimServer, startSimServer } from '../../sim/vllm/server.ts';
import { MODEL, TIMEOUTS } from '../http/drive.ts';
import { byRequestId, type RecordingProxy, type Seen, startRecordingProxy } from '../scenario/recording-proxy.ts';

/**
 * Multi-turn sessions through the real client against the vLLM simulator. A recording proxy in
 * front of the simulator keeps what each request said (body and headers) as the server got it,
 * and injects a simulator fault into the turns whose text asks for one.
 */

let sim: SimServer;
let proxy: RecordingProxy;
let proxyUrl: string;
/** What the proxy saw, by request id (read after a run). */
const seen = {
  get: (id: string): Seen | undefined => byRequestId(proxy.seen).get(id),
};

beforeAll(async () => {
  sim = await startSimServer({ profile: 'test-fast', tokenizer: 'words' });
  proxy = await startRecordingProxy(`http://127.0.0.1:${sim.port}`, { fault: (raw) => (raw.includes('FAIL-HERE') ? 'status=500' : null) });
  proxyUrl = proxy.url;
});

afterAll(async () => {
  await proxy.close();
  await sim.close();
});

/** Session `id` of `turns` turns, each with `thinkS` before it (none before the first), turn `failAt` asking for a fault. */
function planOf(id: string, turns: number, thinkS = 0, failAt = -1): SessionPlan {
  const words = (k: number): string => Array.from({ length: 20 }, (_, w) => `w${k}x${w}`).join(' ');
  return {
    id,
    system: 'You are a terse assistant answering in words. ',
    systemTokens: 9,
    cell: 'test-sessions',
    turns: Array.from({ length: turns }, (_, k) => ({
      text: ` turn ${k} of ${id}${k === failAt ? ' FAIL-HERE' : ''}: ${words(k)} `,
      tokens: 24,
      maxTokens: 6 + k,
      thinkS: k === 0 ? 0 : thinkS,
    })),
  };
}

interface SessionRun {
  records: RequestRecord[];
  texts: Map<string, string>;
  outcome: LoadOutcome;
}

async function runSessions(o: {
  plans: SessionPlan[];
  api?: 'chat' | 'completions';
  schedule?: Schedule;
  stage?: Partial<StagePlan>;
  header?: string;
  signal?: AbortSignal;
  onRecord?(r: RequestRecord): void;
  /** Single warm-up requests before the sessions. */
  warmup?: number;
}): Promise<SessionRun> {
  const api = o.api ?? 'chat';
  const target = new HttpTarget({ baseUrl: proxyUrl, headers: {}, timeouts: TIMEOUTS, limits: DEFAULT_RESPONSE_LIMITS });
  const schedule = o.schedule ?? { kind: 'closed', concurrency: 1, description: '' };
  const stage: StagePlan = {
    label: 'sessions', description: 'sessions', schedule, maxRequests: o.plans.length, durationMs: null, drainMs: 0,
    offered: { rate: null, concurrency: null }, ...o.stage,
  };
  const records: RequestRecord[] = [];
  const texts = new Map<string, string>();
  const outcome = await runLoad({
    target,
    adapter: API_ADAPTERS[api],
    model: MODEL,
    stream: true,
    plan: fixedPlanner('sessions', [stage]),
    warmup: o.warmup ?? 0,
    request: (i) => ({ body: API_ADAPTERS[api].body({ model: MODEL, prompt: `warm-up ${i}`, maxTokens: 4, stream: true }, capabilitiesFor('vllm')), cell: 'warm-up', promptTokens: 2, maxTokens: 4 }),
    sessions: { session: (i) => o.plans[i]!, caps: capabilitiesFor('vllm'), ...(o.header ? { header: o.header } : {}) },
    ...(o.signal ? { signal: o.signal } : {}),
    requestIdPrefix: `s${Math.random().toString(36).slice(2, 8)}`,
    keepText: false,
    onRecord(r, text) {
      records.push(r);
      texts.set(r.requestId, text);
      o.onRecord?.(r);
    },
  });
  return { records, texts, outcome };
}

/** Records of each session, by turn. */
function bySession(records: RequestRecord[]): Map<string, RequestRecord[]> {
  const out = new Map<string, RequestRecord[]>();
  for (const r of records) {
    if (!r.session) continue;
    const list = out.get(r.session.id) ?? [];
    list[r.session!.turn] = r;
    out.set(r.session!.id, list);
  }
  return out;
}

describe('a session carries its conversation', () => {
  test('chat: turn k sends the system prompt, every earlier turn and the response the server streamed, then the new message', async () => {
    const plans = [planOf('chat-a', 4), planOf('chat-b', 3)];
    const { records, texts, outcome } = await runSessions({ plans });
    expect(records).toHaveLength(7);
    expect(outcome.sent).toBe(7);
    for (const plan of plans) {
      const turns = bySession(records).get(plan.id)!;
      expect(turns.map((r) => r.session)).toEqual(
        plan.turns.map((_, k) => ({ id: plan.id, turn: k, turns: plan.turns.length, cut: false, ...(k === plan.turns.length - 1 ? { end: 'completed' } : {}) })),
      );
      const expected: { role: string; content: string }[] = [{ role: 'system', content: plan.system }];
      turns.forEach((r, k) => {
        expect(r.error).toBeNull();
        expected.push({ role: 'user', content: plan.turns[k]!.text });
        const got = seen.get(r.requestId)!;
        expect(got.body.messages).toEqual(expected);
        expect(got.headers['x-session-id']).toBe(plan.id);
        const answer = texts.get(r.requestId)!;
        expect(answer.length).toBeGreaterThan(0);
        expected.push({ role: 'assistant', content: answer });
      });
      // The server's prefix cache sees the conversation grow: each turn reuses more cached tokens.
      const cached = turns.map((r) => r.usage!.cachedTokens!);
      for (let k = 1; k < cached.length; k++) expect(cached[k]!).toBeGreaterThan(cached[k - 1]!);
      // Its prompt grows by the previous response and the new message.
      for (let k = 1; k < turns.length; k++) expect(turns[k]!.promptTokens).toBe(turns[k - 1]!.promptTokens + turns[k - 1]!.usage!.completionTokens + 24);
    }
  });

  test("completions: turn k's prompt is turn k-1's prompt, its response, then the new text; the header name is configurable", async () => {
    const plan = planOf('comp-a', 3);
    const { records, texts } = await runSessions({ plans: [plan], api: 'completions', header: 'x-conversation' });
    const turns = bySession(records).get('comp-a')!;
    expect(turns).toHaveLength(3);
    const prompts = turns.map((r) => seen.get(r.requestId)!.body.prompt!);
    expect(prompts[0]).toBe(plan.system + plan.turns[0]!.text);
    for (let k = 1; k < 3; k++) {
      expect(prompts[k]).toBe(prompts[k - 1]! + texts.get(turns[k - 1]!.requestId)! + plan.turns[k]!.text);
    }
    for (const r of turns) {
      expect(seen.get(r.requestId)!.headers['x-conversation']).toBe('comp-a');
      expect(seen.get(r.requestId)!.headers['x-session-id']).toBeUndefined();
    }
    expect(turns[2]!.usage!.cachedTokens!).toBeGreaterThan(turns[1]!.usage!.cachedTokens!);
  });
});

describe('timing', () => {
  test('turn k is intended at the end of turn k-1 plus its think time, and sent then', async () => {
    const plan = planOf('think', 4, 0.06);
    const { records } = await runSessions({ plans: [plan] });
    const turns = bySession(records).get('think')!;
    for (let k = 1; k < turns.length; k++) {
      const prev = turns[k - 1]!;
      const r = turns[k]!;
      expect(r.intended).toBe(prev.end + 60);
      expect(r.handed!).toBeGreaterThanOrEqual(r.intended);
      expect(r.sent! - r.intended).toBeLessThan(25);
      expect(seen.get(r.requestId)!.at - prev.end).toBeGreaterThanOrEqual(60);
    }
  });

  test('closed loop: N users, each runs one session after another, never overlapping its own turns', async () => {
    const plans = Array.from({ length: 6 }, (_, i) => planOf(`user-${i}`, 3, 0.005));
    const { records, outcome } = await runSessions({ plans, schedule: { kind: 'closed', concurrency: 2, description: '' } });
    expect(records).toHaveLength(18);
    expect(records.every((r) => r.error === null)).toBe(true);
    expect(outcome.sent).toBe(18);
    const sessions = [...bySession(records).values()];
    for (const turns of sessions) {
      for (let k = 1; k < turns.length; k++) expect(turns[k]!.sent!).toBeGreaterThanOrEqual(turns[k - 1]!.end);
    }
    // Never more than two sessions live at once, and the third starts when one of the first two ended.
    const spans = sessions.map((t) => [t[0]!.intended, t.at(-1)!.end] as const).sort((a, b) => a[0] - b[0]);
    for (const [start] of spans) expect(spans.filter(([s, e]) => s <= start && e > start).length).toBeLessThanOrEqual(2);
    const firstEnd = Math.min(spans[0]![1], spans[1]![1]);
    expect(spans[2]![0]).toBe(firstEnd);
  });

  // Timing on a shared 2-core machine: retried like the open loop's own lag test.
  test("open loop: sessions arrive at the schedule's times, however long the sessions before them run", { retry: 2 }, async () => {
    const plans = Array.from({ length: 8 }, (_, i) => planOf(`arrival-${i}`, 3, 0.02));
    const gapMs = 15;
    const schedule: Schedule = {
      kind: 'open', offeredRate: 1000 / gapMs, maxInFlight: 100, description: '',
      offsets: function* () {
        for (let i = 0; ; i++) yield i * gapMs;
      },
    };
    // Warm-up (single requests) warms the client's JIT, so the lag is the pacer's, not the compiler's.
    const { records } = await runSessions({ plans, schedule, warmup: 10 });
    const sessions = bySession(records.filter((r) => !r.warmup));
    expect(sessions.size).toBe(8);
    const firsts = [...sessions.values()].map((t) => t[0]!).sort((a, b) => a.intended - b.intended);
    const start = firsts[0]!.intended;
    firsts.forEach((r, i) => expect(r.intended - start).toBeCloseTo(i * gapMs, 6));
    // Sent on time: never early, the median within a few ms.
    const lags = firsts.map((r) => r.sent! - r.intended).sort((a, b) => a - b);
    expect(lags[0]!).toBeGreaterThanOrEqual(0);
    expect(lags[4]!).toBeLessThan(5);
    expect(lags[7]!).toBeLessThan(30);
    // Sessions overlap: the later ones arrived while the earlier ones were still thinking.
    expect(firsts[1]!.intended).toBeLessThan(sessions.get(firsts[0]!.session!.id)!.at(-1)!.end);
  });
});

describe('how sessions end', () => {
  test("a stage's end cuts the turns due after it: recorded as cut, not as failures", async () => {
    const plans = Array.from({ length: 3 }, (_, i) => planOf(`cut-${i}`, 6, 0.05));
    const { records, outcome } = await runSessions({ plans, schedule: { kind: 'closed', concurrency: 3, description: '' }, stage: { maxRequests: null, durationMs: 130, drainMs: 0 } });
    const sessions = bySession(records);
    expect(sessions.size).toBe(3);
    let cut = 0;
    for (const turns of sessions.values()) {
      expect(turns).toHaveLength(6);
      const sent = turns.filter((r) => !r.session!.cut);
      const cutTurns = turns.filter((r) => r.session!.cut);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(cutTurns.length).toBeGreaterThan(0);
      // The turns sent come first, then every later turn is cut; the last record says how it ended.
      expect(turns.findIndex((r) => r.session!.cut)).toBe(sent.length);
      for (const r of sent) expect(r.error).toBeNull();
      for (const r of cutTurns) {
        expect(r.error!.class).toBe('cut');
        expect(r.sent === null || r.sent < outcome.stages[0]!.start + 130).toBe(true);
      }
      expect(turns.at(-1)!.session!.end).toBe('cut');
      cut += cutTurns.length;
    }
    expect(outcome.stages[0]!.cut).toBe(cut);
    expect(outcome.sent).toBe(records.filter((r) => r.sent !== null).length);
    expect(outcome.stopped).toBeNull();
  });

  test('a failed turn ends its session with the reason; the others run on', async () => {
    const plans = [planOf('fails', 5, 0.005, 2), planOf('fine', 4, 0.005)];
    const { records } = await runSessions({ plans, schedule: { kind: 'closed', concurrency: 2, description: '' } });
    const sessions = bySession(records);
    const failed = sessions.get('fails')!;
    expect(failed).toHaveLength(3);
    expect(failed[2]!.error!.class).toBe('http_status');
    expect(failed[2]!.status).toBe(500);
    expect(failed[2]!.session).toEqual({ id: 'fails', turn: 2, turns: 5, cut: false, end: 'failed' });
    expect(sessions.get('fine')!.map((r) => r.error)).toEqual([null, null, null, null]);
    expect(sessions.get('fine')!.at(-1)!.session!.end).toBe('completed');
  });
});

describe('a run that stops', () => {
  test('cancelling while sessions think ends them at once; later turns are not recorded', async () => {
    const ac = new AbortController();
    let abortedAt = 0;
    const started = new Set<string>();
    // Turn 1 is due 10 s after turn 0: the run is cancelled once both sessions are thinking.
    const plans = Array.from({ length: 2 }, (_, i) => planOf(`stop-${i}`, 4, 10));
    const { records, outcome } = await runSessions({
      plans,
      schedule: { kind: 'closed', concurrency: 2, description: '' },
      signal: ac.signal,
      onRecord(r) {
        if (started.add(r.session!.id).size === 2 && !abortedAt) {
          abortedAt = performance.now();
          ac.abort('enough');
        }
      },
    });
    expect(performance.now() - abortedAt).toBeLessThan(200);
    expect(outcome.stopped).toBe('cancelled: enough');
    expect(records.map((r) => r.session!.turn)).toEqual([0, 0]);
  });
});

describe('a session source that fails', () => {
  test('a session that cannot be prepared stops the run with its error, without hanging', async () => {
    // Three sessions, but an unbounded stage asks for a fourth.
    const plans = Array.from({ length: 3 }, (_, i) => planOf(`short-${i}`, 2));
    await expect(runSessions({ plans, schedule: { kind: 'closed', concurrency: 1, description: '' }, stage: { maxRequests: null, durationMs: 5000 } }))
      .rejects.toThrow('session 3: no session plan, or one without turns');
  });
});
