/**
 * Running a workload hook: one shell command (`bash -c`), as llm-d-benchmark's
 * `existing_stack/run_only.sh` runs `hooks.pre_workload` and `hooks.post_workload` on its harness
 * pod around each workload. Here this process is the harness, so the command runs on this
 * machine, in the working directory, in its own process group: when the test's signal aborts
 * (the test timed out, the run was cancelled) the whole group is killed, so a hung hook never
 * hangs the run. Its output (stdout and stderr, interleaved as they came) is kept, secrets
 * redacted, in the run folder.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { redactText } from '../config/redact.ts';
import { scrub } from '../config/secrets.ts';
import { escapeControl } from '../http/server-text.ts';
import { HookError } from '../errors/hook-error.ts';
import type { HookReport } from '../report/model.ts';
import { hookOutcome } from '../render/run-labels.ts';
export { hookPassed } from '../render/run-labels.ts';

/** Output kept per hook: its last 4 MiB (the end is what explains a failure). */
const KEEP_BYTES = 4 * 1024 * 1024;
/** Lines of output quoted in a failure message. */
const TAIL_LINES = 20;

/** One hook to run. */
export interface HookRun {
  hook: HookReport['hook'];
  command: string;
  /** Where the command came from, for the report. */
  source: string;
  /** The run folder; the log goes to `<runDir>/<log>`. */
  runDir: string;
  /** Log path relative to the run folder. */
  log: string;
  /** The hook's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Values never written: replaced by `***` in the log and the report. */
  secrets: readonly string[];
  /** Aborted when the test times out or the run is cancelled: the hook's process group is killed. */
  signal: AbortSignal;
  cwd?: string;
}

/** A hook's report and the output it printed (redacted). */
export interface HookResult {
  report: HookReport;
  output: string;
}

/** Runs one hook to its end (or until `signal` aborts) and writes its log; never throws for the hook's own failure. */
export function runHook(h: HookRun): Promise<HookResult> {
  const started = performance.now();
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  const keep = (b: Buffer): void => {
    chunks.push(b);
    kept += b.length;
    while (kept > KEEP_BYTES && chunks.length > 1) {
      const first = chunks.shift()!;
      kept -= first.length;
      dropped += first.length;
    }
  };
  return new Promise((done) => {
    let error: string | null = null;
    let settled = false;
    // The run folder exists before the hook runs: it may write there (BENCH_HOOK_RUN_DIR).
    try {
      mkdirSync(dirname(join(h.runDir, h.log)), { recursive: true });
    } catch (err) {
      error = `its log folder could not be created: ${(err as Error).message}`;
    }
    const child = spawn('bash', ['-c', h.command], { cwd: h.cwd ?? process.cwd(), env: h.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = (): void => {
      error ??= `killed: ${reasonOf(h.signal)}`;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      h.signal.removeEventListener('abort', kill);
      const text = (dropped ? `[${dropped} bytes of earlier output not kept]\n` : '') + Buffer.concat(chunks).toString('utf8');
      // The output may quote a server or a credential: scrubbed of every secret the run knows, control characters escaped.
      const output = escapeControl(scrub(text, h.secrets));
      try {
        writeFileSync(join(h.runDir, h.log), output);
      } catch (err) {
        error ??= `its log could not be written: ${(err as Error).message}`;
      }
      const report: HookReport = {
        hook: h.hook,
        command: redactText(h.command, h.secrets),
        source: h.source,
        exitCode,
        signal,
        error,
        durationS: Number(((performance.now() - started) / 1000).toFixed(3)),
        log: h.log,
      };
      done({ report, output });
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => {
      error = `bash could not be started: ${err.message}`;
      finish(null, null);
    });
    // 'close' waits for the output pipes; once killed, 'exit' is the end (a grandchild that left the group may hold them).
    child.on('close', (code, signal) => finish(code, signal));
    child.on('exit', (code, signal) => {
      if (h.signal.aborted) finish(code, signal);
    });
    if (h.signal.aborted) kill();
    else h.signal.addEventListener('abort', kill, { once: true });
  });
}

/**
 * The error of a failed hook: the hook, the test, how it ended and what that means on the first
 * line; then the end of its output and where the whole of it is.
 */
export function hookError(result: HookResult, test: string, consequence: string, logPath: string): HookError {
  const r = result.report;
  const lines = result.output.replace(/\n$/, '').split('\n');
  const tail = lines.slice(-TAIL_LINES);
  const shown = result.output.trim() === '' ? 'It printed nothing.' : `Its output${lines.length > TAIL_LINES ? ` (last ${TAIL_LINES} lines)` : ''}:\n${tail.map((l) => `  ${l}`).join('\n')}`;
  return new HookError(r.hook, `${r.hook} hook of ${test} failed (${hookOutcome(r)}): ${consequence}. Command: ${r.command}\n${shown}\nLog: ${logPath}`);
}

function reasonOf(signal: AbortSignal): string {
  const reason = signal.reason as unknown;
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
  return text ? `the test ended (${text.split('\n')[0]})` : 'the test timed out or the run was cancelled';
}
