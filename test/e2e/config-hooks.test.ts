/**
 * `suites/config` with a config's `description` and `hooks` (llm-d-benchmark existing_stack's
 * optional sections), run as a user runs it on the embedded simulator: the hooks run around each
 * workload in file order, their output stays in the run folder (secrets redacted), a failing pre
 * hook fails only its workload (named with its exit code, its load not run), a failing post hook
 * fails its workload with the measurements kept, and the description is in every report.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { spawnSimulator } from '../../sim/vllm/spawn.ts';
import { readJsonl, readTree, runSuitesOnceValid, workspace } from './run-suite.ts';

const SECRET = 'sk-hook-e2e-DO-NOT-LEAK-5d2a';
const TEXT = 'Hooks e2e <script>alert(1)</script>';

interface SummaryTest {
  scenario: string;
  timestamp: string;
  run: { durationS: number };
  run_description: { text: string; keywords: string[] };
  state: string;
  results: { total_requests: number };
  hooks: Array<{ hook: string; exitCode: number; log: string }>;
}

test('hooks run around each workload in order, their logs kept; a failing hook fails only its workload; the description is in every report', async () => {
  const sim = await spawnSimulator({ tokenizer: 'words', time_scale: 0.05 });
  try {
    const dir = workspace();
    const workload = (name: string) =>
      `  ${name}:\n    load: { type: concurrent, stages: [{ concurrency_level: 1, num_requests: 2 }] }\n    api: { type: completion, streaming: true }\n    data: { type: random, input_distribution: { min: 8, max: 16, mean: 12, std_dev: 2 }, output_distribution: { min: 4, max: 8, mean: 6, std_dev: 1 } }\n`;
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        `description:\n  text: "${TEXT}"\n  keywords: [e2e, hooks]`,
        'hooks:',
        `  pre_workload: 'echo "pre $BENCH_HOOK_WORKLOAD $(date +%s%3N)" >> "$BENCH_HOOK_RUN_DIR/trace.txt"; echo "token $MY_API_TOKEN $HOOK_MARK"; [ "$BENCH_HOOK_WORKLOAD" != second ] || { echo "cannot prepare second" >&2; exit 7; }'`,
        `  post_workload: 'echo "post $BENCH_HOOK_WORKLOAD $(date +%s%3N)" >> "$BENCH_HOOK_RUN_DIR/trace.txt"; [ "$BENCH_HOOK_WORKLOAD" != third ] || exit 5'`,
        `env:\n  - { name: HOOK_MARK, value: from-env }`,
        `endpoint: { stack_name: local, model: Qwen/Qwen3-0.6B, base_url: ${sim.url} }`,
        `workload:\n${workload('first')}${workload('second')}${workload('third')}`,
      ].join('\n'),
    );
    const run = await runSuitesOnceValid(['suites/config'], dir, { BENCH_CONFIG: join(dir, 'config.yaml'), BENCH_TARGETS_FILE: '', MY_API_TOKEN: SECRET });
    const runDir = run.runDirs.config!;
    expect(run.code, run.output).toBe(1);

    // Order: pre and post around each workload, in file order; the failed pre hook's workload still gets its post hook.
    const lines = readFileSync(join(runDir, 'trace.txt'), 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(lines.map(([hook, w]) => `${hook} ${w}`)).toEqual(['pre first', 'post first', 'pre second', 'post second', 'pre third', 'post third']);

    // The second workload failed, named with its exit code; its load was not run.
    expect(run.output).toContain('HookError: pre_workload hook of second failed (exit code 7): the workload was not run.');
    expect(run.output).toContain('  cannot prepare second');
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { run_description: unknown; tests: SummaryTest[]; failed_tests: Array<{ name: string; error: string; hooks: Array<{ hook: string; exitCode: number }> }> };
    expect(summary.tests.map((t) => t.scenario)).toEqual(['first', 'third']);
    expect(summary.failed_tests.map((f) => f.name)).toEqual(['second']);
    expect(summary.failed_tests[0]!.error).toMatch(/^pre_workload hook of second failed \(exit code 7\)/);
    expect(summary.failed_tests[0]!.hooks.map((h) => [h.hook, h.exitCode])).toEqual([['pre_workload', 7], ['post_workload', 0]]);
    expect(readJsonl(join(runDir, 'requests.jsonl')).filter((r) => r.scenario === 'second')).toEqual([]);

    // Each measured workload: its pre hook ended before its measurement began, its post hook started after it ended.
    const at = (hook: string, w: string): number => Number(lines.find(([h, x]) => h === hook && x === w)![2]);
    for (const t of summary.tests) {
      const start = Date.parse(t.timestamp);
      expect(at('pre', t.scenario)).toBeLessThanOrEqual(start);
      expect(at('post', t.scenario)).toBeGreaterThanOrEqual(Math.floor(start + t.run.durationS * 1000));
      expect(t.results.total_requests).toBe(2);
      expect(t.hooks.map((h) => [h.hook, h.exitCode, h.log])).toEqual([
        ['pre_workload', 0, `hooks/${t.scenario}.pre_workload.log`],
        ['post_workload', t.scenario === 'third' ? 5 : 0, `hooks/${t.scenario}.post_workload.log`],
      ]);
      expect(t.run_description).toEqual({ text: TEXT, keywords: ['e2e', 'hooks'] });
    }

    // The third failed on its post hook, its measurements kept (above).
    expect(summary.tests.find((t) => t.scenario === 'third')!.state).toBe('failed');
    // (On a loaded machine its SLO may fail too: the hook's failure is then added to that error.)
    expect(run.output).toMatch(/post_workload hook of third failed \(exit code 5\): (its measurements are kept|the test had failed already)\./);

    // Logs in the run folder, the secret redacted there and everywhere else.
    expect(readFileSync(join(runDir, 'hooks/first.pre_workload.log'), 'utf8')).toBe('token *** from-env\n');
    expect(readFileSync(join(runDir, 'hooks/second.pre_workload.log'), 'utf8')).toBe('token *** from-env\ncannot prepare second\n');
    expect(readFileSync(join(runDir, 'hooks/second.post_workload.log'), 'utf8')).toBe('');
    expect(readTree(run.resultsDir)).not.toContain(SECRET);
    expect(run.output).not.toContain(SECRET);

    // The description in every report.
    expect(summary.run_description).toEqual({ text: TEXT, keywords: ['e2e', 'hooks'] });
    expect(readFileSync(join(runDir, 'junit.xml'), 'utf8')).toContain('name="run_description" value="Hooks e2e &lt;script>alert(1)&lt;/script>"');
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('Run description: Hooks e2e &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    const br = JSON.parse(readFileSync(join(runDir, 'benchmark-report/first.json'), 'utf8')) as { run: { description: string; keywords: string[] } };
    expect(br.run.description).toBe(TEXT);
    expect(br.run.keywords.slice(0, 2)).toEqual(['e2e', 'hooks']);
    expect(run.output.replace(/\n {4,}/g, ' ')).toContain(`description: ${TEXT} [keywords: e2e, hooks]`);
  } finally {
    await sim.stop();
  }
}, 200_000);

test('a hook that hangs is killed, with its process group, when the test times out; the run ends and the next workload runs', async () => {
  const sim = await spawnSimulator({ tokenizer: 'words', time_scale: 0.05 });
  try {
    const dir = workspace();
    const workload = (name: string) =>
      `  ${name}:\n    load: { type: concurrent, stages: [{ concurrency_level: 1, num_requests: 2 }] }\n    api: { type: completion, streaming: true }\n    data: { type: random, input_distribution: { min: 8, max: 16, mean: 12, std_dev: 2 }, output_distribution: { min: 4, max: 8, mean: 6, std_dev: 1 } }\n`;
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'hooks:',
        `  pre_workload: '[ "$BENCH_HOOK_WORKLOAD" != stuck ] || { sleep 600 & echo $! > "$BENCH_HOOK_RUN_DIR/sleep.pid"; wait; }'`,
        'harness: { name: inference-perf, wait_timeout: 5 }',
        `endpoint: { stack_name: local, model: Qwen/Qwen3-0.6B, base_url: ${sim.url} }`,
        `workload:\n${workload('stuck')}${workload('after')}`,
      ].join('\n'),
    );
    const run = await runSuitesOnceValid(['suites/config'], dir, { BENCH_CONFIG: join(dir, 'config.yaml'), BENCH_TARGETS_FILE: '' });
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/Test timed out in 5000ms/);
    expect(run.ms).toBeLessThan(60_000);
    const summary = JSON.parse(readFileSync(join(run.runDirs.config!, 'summary.json'), 'utf8')) as { tests: SummaryTest[]; failed_tests: Array<{ name: string }> };
    expect(summary.tests.map((t) => t.scenario)).toEqual(['after']);
    expect(summary.failed_tests.map((f) => f.name)).toEqual(['stuck']);
    // The hook's background child is gone with it (a zombie at most, until init reaps it).
    const pid = readFileSync(join(run.runDirs.config!, 'sleep.pid'), 'utf8').trim();
    const stat = `/proc/${pid}/stat`;
    if (existsSync(stat)) expect(readFileSync(stat, 'utf8').split(') ')[1]![0]).toBe('Z');
  } finally {
    await sim.stop();
  }
}, 200_000);
