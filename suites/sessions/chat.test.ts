import { describe } from 'vitest';
import { expect, loadScenarios } from 'vitest-llm-d';

const chat = loadScenarios(import.meta.url);
const { test } = chat;

/** Mean of `values`. */
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

// One test per scenario of chat.yaml (each must be multi-turn data).
describe('sessions', () => {
  for (const name of chat.names) {
    test(name, async ({ bench }) => {
      const result = await bench.run(chat.scenario(name));
      expect(result).toMeetSLO();
      const sessions = result.report.sessions;
      expect(sessions, 'the report has a sessions section (multi-turn data)').toBeDefined();
      expect(sessions!.completed, 'sessions that ran every turn').toBeGreaterThan(0);
      const byTurn = sessions!.byTurn.map((t) => ({ turn: t.turn, ttftP50: t.stats.latency.ttft.percentiles.p50!, cached: t.cachedFraction }));
      for (const t of byTurn) console.log(`turn ${t.turn}: TTFT p50 ${t.ttftP50.toFixed(1)} ms, cached ${t.cached === null ? '-' : `${(t.cached * 100).toFixed(0)}%`}`);
      // The first turn is a full prefill; later ones find the conversation so far in the prefix cache.
      const [first, ...later] = byTurn;
      expect(later.length, 'turns after the first').toBeGreaterThan(0);
      expect(first!.ttftP50, 'TTFT p50 of turn 1 vs the mean of later turns\' p50').toBeGreaterThan(mean(later.map((t) => t.ttftP50)));
    });
  }
});
