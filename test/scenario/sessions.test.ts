import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DataSchema } from '../../lib/config/schema/data.ts';
import { RequestsFile } from '../../lib/run-folder/requests-file.ts';
import type { SessionsReport, TestReport } from '../../lib/report/model.ts';
import type { OpenTarget } from '../../lib/scenario/open-target.ts';
import { runScenario, type ScenarioInput } from '../../lib/scenario/run-scenario.ts';
import { resolveScenarioSlo } from '../../lib/slo/resolve.ts';
import { TIMEOUTS } from '../http/drive.ts';
import { type SimProcess, spawnSimulator } from '../../sim/vllm/spawn.ts';
import { bySession, type RecordingProxy, type Seen, startRecordingProxy } from './recording-proxy.ts';
import { runOn, simTarget } from './sim-target.ts';

/**
 * Multi-turn sessions from the scenario's data config to its report, over loopback: a simulator
 * with a visible prefill cost per uncached prompt token (so a turn whose prefix is cached answers
 * sooner), and a recording proxy in front of it that keeps what every turn said and when.
 */

let dir: string;
let sim: SimProcess;
let proxy: RecordingProxy;
let requests: RequestsFile;
let direct: OpenTarget;
let proxied: OpenTarget;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmd-sessions-'));
  // 0.2 ms per uncached token: a 330-token first turn takes ~66 ms to prefill, a cached one ~10.
  sim = await spawnSimulator({ profile: 'test-fast', tokenizer: 'words', prefill_per_token_ms: 0.2 });
  proxy = await startRecordingProxy(sim.url);
  requests = new RequestsFile(join(dir, 'requests.jsonl'));
  direct = simTarget(sim.url, 'words');
  proxied = simTarget(proxy.url, 'words');
});

afterAll(async () => {
  requests?.close();
  await proxy?.close();
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `data` (parsed, so its defaults apply) as a scenario and returns the report and what the proxy saw of it. */
async function run(name: string, target: OpenTarget, data: Record<string, unknown>, extra: Partial<ScenarioInput> = {}): Promise<{ report: TestReport; seen: Seen[] }> {
  const from = proxy.seen.length;
  const scenario: ScenarioInput = {
    stream: true, num_requests: 4, warmup_requests: 1, load: { type: 'concurrency', concurrency: 2 }, data: DataSchema.parse(data), ...extra,
  };
  const report = await runOn('sessions', dir, requests, name, target, scenario);
  return { report, seen: proxy.seen.slice(from) };
}

const conversations = { type: 'conversations', conversations: 3, system_prompt_tokens: 40, dynamic_system_prompt_tokens: 10, turns: 3, turn_tokens: 30, max_tokens: 8, seed: 7 };

/** Checks the counts of a run whose every session completed. */
function expectAllCompleted(s: SessionsReport | undefined, sessions: number, turns: number): void {
  expect(s).toBeDefined();
  expect(s).toMatchObject({ started: sessions, completed: sessions, failed: 0, cut: 0, stopped: 0, turnsPlanned: sessions * turns, turnsSent: sessions * turns, turnsCut: 0 });
  expect(s!.byTurn.map((t) => [t.turn, t.stats.requests.successful])).toEqual(Array.from({ length: turns }, (_, k) => [k + 1, sessions]));
  expect(s!.turnsCompleted).toMatchObject({ count: sessions, min: turns, max: turns });
  expect(s!.durationS.count).toBe(sessions);
}

describe('conversations', () => {
  test('completions: turn k sends turn k-1 prompt and response, think time after the response, the session header on every turn', async () => {
    const { report, seen } = await run('completions', proxied, { ...conversations, think_time_s: 0.04 });
    expectAllCompleted(report.sessions, 4, 3);
    expect(report.sessions!.header).toBe('x-session-id');
    // One warm-up request, a single prompt without the header; every other request carries it.
    expect(seen.filter((s) => s.headers['x-session-id'] === undefined)).toHaveLength(1);
    const sessions = bySession(seen, 'x-session-id');
    expect([...sessions.keys()].sort()).toEqual(['conv_0', 'conv_1', 'conv_2', 'slot_0_convo_1']);
    for (const turns of sessions.values()) {
      expect(turns).toHaveLength(3);
      for (let k = 1; k < turns.length; k++) {
        const before = turns[k - 1]!;
        expect(before.text.length).toBeGreaterThan(0);
        expect(turns[k]!.body.prompt!.startsWith(before.body.prompt! + before.text)).toBe(true);
        expect(turns[k]!.body.prompt!.length).toBeGreaterThan((before.body.prompt! + before.text).length);
        // Same clock: the proxy saw the response end before the client did, and the turn after the client's end plus 40 ms.
        expect(turns[k]!.at - before.endAt).toBeGreaterThanOrEqual(40);
      }
    }
    // Session 3 repeats blueprint 0: the same turns under its own id.
    expect(sessions.get('slot_0_convo_1')![0]!.body.prompt).toBe(sessions.get('conv_0')![0]!.body.prompt);
    expect(report.sessions!.durationS.min!).toBeGreaterThanOrEqual(0.08);
  });

  test('chat: turn k sends the messages so far, the response as the assistant message, under the configured header', async () => {
    const { report, seen } = await run('chat', proxied, { ...conversations, session_header: 'x-conv' }, { api: 'chat' });
    expectAllCompleted(report.sessions, 4, 3);
    expect(report.sessions!.header).toBe('x-conv');
    const sessions = bySession(seen, 'x-conv');
    expect(sessions.size).toBe(4);
    for (const turns of sessions.values()) {
      expect(turns[0]!.body.messages!.map((m) => m.role)).toEqual(['system', 'user']);
      for (let k = 1; k < turns.length; k++) {
        const before = turns[k - 1]!;
        const messages = turns[k]!.body.messages!;
        expect(messages.slice(0, -2)).toEqual(before.body.messages);
        expect(messages.at(-2)).toEqual({ role: 'assistant', content: before.text });
        expect(messages.at(-1)!.role).toBe('user');
      }
    }
  });

  test('TTFT by turn falls as the conversation so far is cached', async () => {
    // A distinct 300-token system prompt per conversation: turn 1 is all uncached, later turns only their new part.
    const data = { type: 'conversations', conversations: 6, dynamic_system_prompt_tokens: 300, turns: 4, turn_tokens: 32, max_tokens: 4 };
    const { report } = await run('ttft-by-turn', direct, data, { num_requests: 6, warmup_requests: 0 });
    expectAllCompleted(report.sessions, 6, 4);
    const [first, ...later] = report.sessions!.byTurn;
    const p50 = (t: typeof first) => t!.stats.latency.ttft.percentiles.p50!;
    // A margin that holds on a loaded machine: 1.5 times, and 20 ms.
    for (const t of later) expect(p50(first), `turn ${t.turn}`).toBeGreaterThan(Math.max(1.5 * p50(t), p50(t) + 20));
    expect(first!.cachedTokensMean).toBeLessThan(16);
    for (const t of later) {
      expect(t.cachedTokensMean!).toBeGreaterThan(300);
      expect(t.cachedFraction!).toBeGreaterThan(0.7);
    }
  });

  test('a time-bounded stage cuts the sessions it cannot finish, and the counts add up', async () => {
    // 5 turns 0.15 s apart take over 0.6 s; the stage lasts 0.3 s.
    const data = { ...conversations, turns: 5, think_time_s: { type: 'uniform', min: 0.1, max: 0.2, mean: 0.15 } };
    const { report } = await run('cut', direct, data, { num_requests: undefined, warmup_requests: 0, load: { type: 'concurrency', concurrency: 2, duration: 0.3, drain_timeout: 5 } });
    const s = report.sessions!;
    expect(s.cut).toBeGreaterThan(0);
    expect(s.turnsCut).toBeGreaterThan(0);
    expect(s.completed + s.failed + s.cut + s.stopped).toBe(s.started);
    expect(s.turnsPlanned).toBe(s.started * 5);
    expect(s.turnsSent + s.turnsCut).toBe(s.turnsPlanned);
    expect(s.byTurn[0]!.stats.requests.successful).toBe(s.started);
  });
});

describe('an open loop', () => {
  test('its arrivals start sessions: num_requests sessions, each running all its turns', async () => {
    const { report, seen } = await run('open-loop', proxied, conversations, { warmup_requests: 0, num_requests: 5, load: { type: 'constant', rate: 20 } });
    expectAllCompleted(report.sessions, 5, 3);
    expect(bySession(seen, 'x-session-id').size).toBe(5);
    expect(report.stats.requests.successful).toBe(15);
  });
});

describe('shared_prefix with enable_multi_turn_chat', () => {
  test('each user sends its prompt round after round, appended to the conversation so far', async () => {
    const data = { type: 'shared_prefix', num_groups: 2, num_prompts_per_group: 2, system_prompt_len: 40, question_len: 10, output_len: 6, enable_multi_turn_chat: true, seed: 3 };
    // 8 sessions over 4 users: 2 rounds each, and every user runs twice.
    const { report, seen } = await run('multi-turn-shared-prefix', proxied, data, { num_requests: 8 });
    expectAllCompleted(report.sessions, 8, 2);
    const sessions = bySession(seen, 'x-session-id');
    expect([...sessions.keys()].filter((id) => /^user_session_\d$/.test(id))).toHaveLength(4);
    for (const [id, turns] of sessions) {
      const [one, two] = turns.map((t) => t.body.prompt!);
      // Round 2 is round 1, its response, then the user's prompt again after a space.
      const head = one! + turns[0]!.text;
      expect(two!.startsWith(head), id).toBe(true);
      const again = two!.slice(head.length);
      expect(again.startsWith(' ')).toBe(true);
      // Round 1 is the group's system prompt, a space, and that prompt: system prompt, space, question.
      expect(one!.endsWith(again)).toBe(true);
      const system = one!.slice(0, one!.length - again.length);
      expect(again.startsWith(` ${system} `)).toBe(true);
    }
  });
});

describe('a distributed run', () => {
  test('refuses session data in one line naming data.type, before sending anything', async () => {
    const from = proxy.seen.length;
    const scenario: ScenarioInput = { stream: true, num_requests: 4, warmup_requests: 0, load: { type: 'concurrency', concurrency: 2 }, data: DataSchema.parse(conversations) };
    const pod = {
      share: () => {
        throw new Error('a pod share is not asked for');
      },
    };
    const run = runScenario({
      suite: 'sessions', name: 'pod', scenario, target: proxied, slo: resolveScenarioSlo(undefined, {}, 't.yaml'), timeouts: TIMEOUTS, runDir: dir, requests, overrides: [], seedSalt: 'pod', driver: pod,
    });
    await expect(run).rejects.toThrow(/^data\.type: conversations: multi-turn sessions run in one process; [^\n]+$/);
    expect(proxy.seen.length).toBe(from);
  });
});
