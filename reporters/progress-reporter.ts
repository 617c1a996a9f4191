import { stripVTControlCharacters, styleText } from 'node:util';
import type { Reporter, Vitest } from 'vitest/node';
import { formatProgress, PROGRESS_ENV, type ProgressMessage, type ProgressSample } from '../lib/progress/progress.ts';
import { openProgressReceiver, type ProgressReceiver } from '../lib/progress/channel.ts';
import { displayValue } from '../lib/http/server-text.ts';
import { settings } from '../lib/settings/registry.ts';

/** Options of the progress reporter; the defaults are what a run wants, the rest is for tests. */
export interface ProgressReporterOptions {
  /** The stream whose `isTTY` decides whether there is a terminal to draw on; default `process.stdout`. */
  stdout?: { isTTY?: boolean };
  /** Read for CI and the opt-out, written with the socket path for the workers; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Without Vitest's summary window: a plain line per run at most this often (and at each stage start), ms. Default 10 000. */
  logEveryMs?: number;
  /** A run's line is dropped when no sample came for this long (a stuck or killed worker), ms. Default 15 000. */
  staleMs?: number;
}

/** The parts of Vitest's `WindowRenderer` (default reporter, TTY) the progress lines hook into. */
interface SummaryWindow {
  options: { getWindow: () => string[] };
  schedule(): void;
}

/** Environment variables that mean "running in CI" (std-env's main ones, which Vitest also reads). */
const CI_VARS = ['CI', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'TF_BUILD', 'JENKINS_URL', 'TEAMCITY_VERSION', 'CIRCLECI', 'TRAVIS'];

const off = (v: string | undefined): boolean => v === undefined || v === '' || v === '0' || v.toLowerCase() === 'false';

/**
 * Whether live progress is drawn: stdout is a terminal, no CI variable is set, and
 * `BENCH_PROGRESS` is not `0`/`false`. Otherwise the reporter does nothing at all (no socket, no
 * variable for the workers, not a byte of output).
 */
export function progressWanted(stdout: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (!stdout.isTTY) return false;
  if (CI_VARS.some((name) => !off(env[name]))) return false;
  return settings(env).get('BENCH_PROGRESS');
}

/**
 * Live progress of long benchmark stages in the terminal: requests done / total
 * (or elapsed / duration), the current rate, errors, the stage and the test.
 *
 * The benchmarks run in Vitest's worker processes; this reporter runs in the main process. In
 * `onInit` it opens a local socket and puts its path in `LLMD_PROGRESS_SOCKET` before any worker
 * starts (workers inherit the environment); `runScenario` in a worker then sends a sample a second
 * (see `lib/progress/channel.ts`).
 *
 * Drawing: in a terminal, Vitest's default reporter owns the bottom of the screen (its summary
 * window, redrawn every second, with every other write to stdout/stderr buffered and printed above
 * it). A line of our own, written in place, would be torn by that redraw; so the progress lines
 * are added to that window, under the running test files, and drawn by Vitest's own renderer.
 * Without the window (another reporter, `--reporter=dot`), a plain line per run is logged at
 * each stage start and at most every `logEveryMs`. With stdout not a terminal, or in CI, nothing
 * runs and nothing is printed.
 */
export class ProgressReporter implements Reporter {
  private readonly stdout: { isTTY?: boolean };
  private readonly env: NodeJS.ProcessEnv;
  private readonly logEveryMs: number;
  private readonly staleMs: number;
  private vitest: Vitest | null = null;
  private receiver: ProgressReceiver | null = null;
  private window: SummaryWindow | null = null;
  private restoreWindow: (() => void) | null = null;
  /** The latest sample of each running run, with when it came. */
  private readonly runs = new Map<string, { sample: ProgressSample; at: number; logged: number; loggedStage: string }>();

  constructor(options: ProgressReporterOptions = {}) {
    this.stdout = options.stdout ?? process.stdout;
    this.env = options.env ?? process.env;
    this.logEveryMs = options.logEveryMs ?? 10_000;
    this.staleMs = options.staleMs ?? 15_000;
  }

  /** Whether this reporter is drawing (a terminal, not CI): for tests and the lead's curiosity. */
  get active(): boolean {
    return this.receiver !== null;
  }

  async onInit(vitest: Vitest): Promise<void> {
    this.vitest = vitest;
    if (!progressWanted(this.stdout, this.env)) return;
    try {
      this.receiver = await openProgressReceiver((m) => this.receive(m));
    } catch {
      return; // No socket (read-only temp folder): no progress, nothing else changes.
    }
    this.env[PROGRESS_ENV] = this.receiver.path;
    vitest.onClose(() => this.close());
  }

  onTestRunStart(): void {
    if (this.receiver) this.attach();
  }

  onTestRunEnd(): void {
    this.runs.clear();
  }

  /** Stops listening and takes the lines out of Vitest's window. */
  async close(): Promise<void> {
    const r = this.receiver;
    if (!r) return;
    this.receiver = null;
    if (this.env[PROGRESS_ENV] === r.path) delete this.env[PROGRESS_ENV];
    this.restoreWindow?.();
    this.restoreWindow = null;
    this.window = null;
    this.runs.clear();
    await r.close();
  }

  /**
   * The progress lines as they would be drawn now, each fitted to `columns`: one per running run,
   * oldest first. Stale runs (no sample for `staleMs`) are dropped.
   */
  lines(columns: number, now = performance.now()): string[] {
    const out: string[] = [];
    for (const [id, run] of this.runs) {
      if (now - run.at > this.staleMs) {
        this.runs.delete(id);
        continue;
      }
      out.push(`   ${styleText('cyan', '»')} ${formatProgress(run.sample, Math.max(20, columns - 6))}`);
    }
    return out;
  }

  /** The terminal's width (80 when the terminal does not say, e.g. under `script`). */
  private columns(): number {
    const c = this.vitest?.logger.getColumns() ?? 0;
    return c > 0 ? c : 80;
  }

  /** Finds the default reporter's summary window and adds the progress lines to it. */
  private attach(): void {
    if (this.window || !this.vitest) return;
    const window = findSummaryWindow(this.vitest);
    if (!window) return;
    const original = window.options.getWindow;
    window.options.getWindow = () => withProgress(original(), this.lines(this.columns()));
    this.window = window;
    this.restoreWindow = () => {
      window.options.getWindow = original;
    };
  }

  private receive(m: ProgressMessage): void {
    if (m.type === 'end') {
      this.runs.delete(m.id);
      this.window?.schedule();
      return;
    }
    // The worker's strings (test names, stage labels) are shown scrubbed and with control characters escaped.
    const { type: _type, ...sample } = displayValue(m);
    const now = performance.now();
    const prev = this.runs.get(m.id);
    const stageKey = `${sample.phase}:${sample.stageNumber}`;
    const run = { sample, at: now, logged: prev?.logged ?? -Infinity, loggedStage: prev?.loggedStage ?? '' };
    this.runs.set(m.id, run);
    if (!this.window) this.attach();
    if (this.window) return this.window.schedule();
    // No window to draw in: a plain line at each stage start, and now and then during a stage.
    if (sample.phase === 'stage' && (run.loggedStage !== stageKey || now - run.logged >= this.logEveryMs)) {
      run.logged = now;
      run.loggedStage = stageKey;
      this.vitest?.logger.log(styleText('dim', formatProgress(sample, Math.max(20, this.columns() - 1))));
    }
  }
}

/**
 * The summary window of Vitest's default reporter (or one extending it), when it draws one: in
 * a terminal, outside CI, with `summary` not turned off. Vitest 4.1 keeps it at
 * `reporter.summary.renderer` (a `WindowRenderer` whose `options.getWindow` gives the window's
 * lines); checked by shape, so a Vitest that moved it just means the plain-line fallback.
 */
function findSummaryWindow(vitest: Vitest): SummaryWindow | null {
  // `reporters` is not in Vitest's public types; it is the list `createReporters` made from the config.
  const reporters = (vitest as unknown as { reporters?: readonly unknown[] }).reporters ?? [];
  for (const r of reporters) {
    const renderer = (r as { summary?: { renderer?: Partial<SummaryWindow> } }).summary?.renderer;
    if (renderer && typeof renderer.schedule === 'function' && typeof renderer.options?.getWindow === 'function') return renderer as SummaryWindow;
  }
  return null;
}

/**
 * The window's lines with `progress` added under the running test files, before the blank line
 * ahead of the `Test Files` counts; at the end when that line is not there.
 */
export function withProgress(window: string[], progress: string[]): string[] {
  if (!progress.length) return window;
  const k = window.findIndex((l) => stripVTControlCharacters(l).trimStart().startsWith('Test Files'));
  if (k < 0) return [...window, ...progress];
  const at = k > 0 && stripVTControlCharacters(window[k - 1]!).trim() === '' ? k - 1 : k;
  return [...window.slice(0, at), ...progress, ...window.slice(at)];
}
