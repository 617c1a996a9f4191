/**
 * A user's project, as `npm i -D vitest-llm-d` makes it: this repository packed (`npm pack`, whose
 * `prepack` builds dist/), installed with the pinned Vitest into a fresh temporary folder, and
 * commands run there in child processes with none of this test run's Vitest or BENCH_* variables.
 *
 * The suite written there is the README's "Write your own suite" section (its `file=` blocks
 * written, its `sh` blocks run word for word, the install pointed at the tarball), so the section
 * cannot go stale.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The Vitest version this repository pins (devDependencies), installed beside the package. */
export const PINNED_VITEST = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.vitest!;

/** npm flags of every install: the cache is warm after `npm ci`; the registry only for what is missing. */
const INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

/** What a command printed and how it ended. */
export interface Ran {
  command: string;
  code: number | null;
  /** stdout + stderr, ANSI stripped. */
  output: string;
}

/** The environment of a user's shell: no variable of the Vitest running this test, no BENCH_* setting. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k.startsWith('BENCH_') || k === 'TEST' || k === 'NODE_ENV') delete env[k];
  return env;
}

/** Runs `command` with bash in `cwd` (`set -e`: a failing line fails it). */
export function sh(command: string, cwd: string, timeoutMs = 300_000): Ran {
  const r = spawnSync('bash', ['-ec', command], { cwd, env: userEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes.
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`.replace(/\x1b\[[0-9;]*m/g, '');
  return { command, code: r.status, output };
}

/** {@link sh}, failing with the command's output unless it exits 0. */
export function shOk(command: string, cwd: string, timeoutMs?: number): Ran {
  const r = sh(command, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`\`${command}\` exited ${r.code} in ${cwd}:\n${r.output}`);
  return r;
}

/** Run folders (`results/<stamp>-<suite>`) under `cwd`. */
export function runFolders(cwd: string): string[] {
  const results = join(cwd, 'results');
  return existsSync(results) ? readdirSync(results).map((d) => join(results, d)) : [];
}

/** A suite run and the run folders it wrote. */
export interface SuiteRun extends Ran {
  folders: string[];
}

/**
 * `npx vitest run ...` as a user runs it. A run the tool itself marks invalid (`run invalid: ...`:
 * the shared CI machine stalled the client) is run again, up to three runs in all; the folders
 * are those of the last run.
 */
export function vitestRun(command: string, cwd: string): SuiteRun {
  for (let attempt = 1; ; attempt++) {
    const before = new Set(runFolders(cwd));
    const r = sh(command, cwd);
    if (r.code === 0 || attempt === 3 || !/\brun invalid: /.test(r.output)) return { ...r, folders: runFolders(cwd).filter((f) => !before.has(f)) };
  }
}

/** Packs this repository into `dir` (prepack builds dist/) and returns the tarball's path. */
export function packRepository(dir: string): string {
  shOk(`npm pack --pack-destination ${JSON.stringify(dir)}`, ROOT, 600_000);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${dir}`);
  return join(dir, tarball);
}

/**
 * The install command for this test: `npm i -D vitest-llm-d ...` with the package replaced by the
 * tarball and Vitest pinned to this repository's version (added when the command names none).
 */
export function installCommand(readmeCommand: string, tarball: string): string {
  const words = readmeCommand.trim().split(/\s+/);
  const out = words.map((w) => (w === 'vitest-llm-d' ? JSON.stringify(tarball) : /^vitest(@.*)?$/.test(w) ? `vitest@${PINNED_VITEST}` : w));
  if (!out.includes(`vitest@${PINNED_VITEST}`)) out.push(`vitest@${PINNED_VITEST}`);
  return [...out, ...INSTALL_FLAGS].join(' ');
}

/** An npm install command that installs this package (`npm i -D vitest-llm-d`, `npm install --save-dev ... vitest-llm-d`). */
export const INSTALLS_PACKAGE = /^npm\s+(i|install|add)\b.*\svitest-llm-d(\s|$)/;

/** One step of a "write your own suite" walkthrough, in document order. */
export type Step = { kind: 'file'; path: string; text: string } | { kind: 'sh'; commands: string[] };

/**
 * The steps of the README section whose heading starts with "Write your own suite" (until the
 * next heading of the same or a higher level), or null when the README has no such section:
 * fenced blocks with `file=<path>` are files to write; `sh` blocks are commands, one a line
 * (blank lines and `#` comments skipped, a leading `$ ` prompt dropped).
 */
export function readmeSteps(markdown: string): Step[] | null {
  const lines = markdown.split('\n');
  let level = 0;
  let fence: { info: string; body: string[] } | null = null;
  const steps: Step[] = [];
  for (const line of lines) {
    if (fence) {
      if (/^```\s*$/.test(line)) {
        if (level > 0) steps.push(...blockSteps(fence.info, fence.body));
        fence = null;
      } else fence.body.push(line);
      continue;
    }
    const open = /^```(.*)$/.exec(line);
    if (open) {
      fence = { info: open[1]!.trim(), body: [] };
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (!heading) continue;
    if (level > 0 && heading[1]!.length <= level) break;
    if (level === 0 && /^write your own suite/i.test(heading[2]!)) level = heading[1]!.length;
  }
  return level > 0 ? steps : null;
}

function blockSteps(info: string, body: string[]): Step[] {
  const file = /(?:^|\s)file=(\S+)/.exec(info);
  if (file) return [{ kind: 'file', path: file[1]!, text: `${body.join('\n')}\n` }];
  if (/^(sh|bash|shell)\b/.test(info)) {
    const commands = body.map((l) => l.replace(/^\$\s+/, '').trim()).filter((l) => l && !l.startsWith('#'));
    return [{ kind: 'sh', commands }];
  }
  return [];
}

/** Writes a file step under `dir`. */
export function writeStep(dir: string, step: Extract<Step, { kind: 'file' }>): void {
  mkdirSync(dirname(join(dir, step.path)), { recursive: true });
  writeFileSync(join(dir, step.path), step.text);
}

/** Names of the scenarios a walkthrough's files define: YAML `scenarios:` keys and `defineScenario({ name })`. */
export function scenarioNames(steps: Step[]): string[] {
  const names: string[] = [];
  for (const step of steps) {
    if (step.kind !== 'file') continue;
    if (/\.ya?ml$/.test(step.path)) {
      names.push(...Object.keys((parse(step.text) as { scenarios?: Record<string, unknown> } | null)?.scenarios ?? {}));
    } else {
      for (const m of step.text.matchAll(/defineScenario\(\{\s*name:\s*['"]([^'"]+)['"]/g)) names.push(m[1]!);
    }
  }
  return names;
}
