/**
 * Every shell command in README.md and docs/*.md is run by a test or a CI script, so none goes
 * stale: each matches an entry of test/docs/commands.ts that runs it here, names the test that
 * runs it end to end, or says why it cannot run on this machine.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { COMMANDS, type CommandEntry, type CoveredEntry, type DocsContext, type RunEntry, type RunResult, type RunSpec } from './commands.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

/** One shell command of a doc: where it starts and its text (continuations joined, comment cut, spaces collapsed). */
interface DocCommand {
  file: string;
  line: number;
  text: string;
}

/** Index just past the end of a quoted string or `$(...)` starting at `i`, else `i`. */
function skipQuoted(s: string, i: number): number {
  const c = s[i];
  if (c === "'" || c === '"') {
    const end = s.indexOf(c, i + 1);
    return end < 0 ? s.length : end + 1;
  }
  if (c === '$' && s[i + 1] === '(') {
    let depth = 0;
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '(') depth++;
      else if (s[j] === ')' && --depth === 0) return j + 1;
    }
    return s.length;
  }
  return i;
}

/** The commands of one shell line: its comment cut, split at `&&`, `||` and `;` outside quotes. */
function splitLine(s: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const skipped = skipQuoted(s, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    if (s[i] === '#' && (i === 0 || /\s/.test(s[i - 1]!))) break;
    const sep = s.startsWith('&&', i) || s.startsWith('||', i) ? 2 : s[i] === ';' ? 1 : 0;
    if (sep) {
      parts.push(s.slice(start, i));
      start = i + sep;
      i += sep;
      continue;
    }
    i++;
  }
  parts.push(s.slice(start, i));
  return parts.map((p) => p.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/**
 * The shell commands of a Markdown file's ```sh / ```bash / ```shell / ```console blocks. A
 * trailing `\` joins the next line; blank lines and comments are skipped; a `$ ` prompt is
 * stripped; in a console block only prompted lines are commands (the rest is output). A here
 * document's lines are the file it writes, not commands: the command is its first line.
 */
function commandsIn(file: string, markdown: string): DocCommand[] {
  const out: DocCommand[] = [];
  let lang: string | null = null;
  let pending: { line: number; text: string } | null = null;
  let hereDocEnd: string | null = null;
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (hereDocEnd !== null) {
      if (raw.trim() === hereDocEnd) hereDocEnd = null;
      continue;
    }
    if (lang === null) {
      const open = /^\s*```+\s*([\w-]*)/.exec(raw);
      if (open) lang = open[1]!.toLowerCase();
      continue;
    }
    if (/^\s*```+\s*$/.test(raw)) {
      lang = null;
      pending = null;
      continue;
    }
    if (!SHELL_LANGS.has(lang)) continue;
    let text = raw.trim();
    if (pending === null) {
      const prompted = /^\$\s+/.exec(text);
      if (lang === 'console' && !prompted) continue;
      if (prompted) text = text.slice(prompted[0].length);
      if (text === '' || text.startsWith('#')) continue;
      pending = { line: i + 1, text: '' };
    }
    const continued = /(^|[^\\])\\$/.test(text);
    pending.text += ` ${continued ? text.slice(0, -1) : text}`;
    if (continued) continue;
    for (const t of splitLine(pending.text)) out.push({ file, line: pending.line, text: t });
    hereDocEnd = /<<-?\s*(['"]?)(\w+)\1/.exec(pending.text)?.[2] ?? null;
    pending = null;
  }
  return out;
}

const matches = (e: CommandEntry, text: string): boolean => (typeof e.command === 'string' ? e.command === text : e.command.test(text));
const entryOf = (text: string): CommandEntry | undefined => COMMANDS.find((e) => matches(e, text));
const label = (e: CommandEntry): string => (typeof e.command === 'string' ? e.command : String(e.command));

const docFiles = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const documented = docFiles.flatMap((f) => commandsIn(f, readFileSync(join(ROOT, f), 'utf8')));

/** Each documented command whose entry runs it here, once per distinct text. */
const runs = [...new Map(documented.flatMap((c) => {
  const e = entryOf(c.text);
  return e && 'run' in e ? [[c.text, { doc: c, spec: (e as RunEntry).run }] as const] : [];
})).values()];

describe('reading commands out of Markdown', () => {
  test('shell blocks only; continuations joined; comments, blank lines, prompts, console output and here documents left out; && and ; split', () => {
    const md = [
      'Run `npx vitest run suites/inline` (prose is not a command).',
      '```sh',
      '# a comment',
      'npm ci && npx vitest run suites/latency   # install, then run',
      '',
      'A=1 \\',
      '  B="$(oc whoami -t; echo x)" \\',
      '    npx vitest run suites/x',
      '```',
      '```console',
      '$ npx vitest-llm-d sim --help',
      'Usage: vitest-llm-d sim',
      '```',
      '```yaml',
      'key: npx not-a-command',
      '```',
      '```bash',
      '$ echo "a # b" ; echo c#d',
      "cat > bench/my.yaml <<'EOF'",
      'scenarios: # not a command',
      '  small: { num_requests: 4 }',
      'EOF',
      'npx vitest run bench',
      '```',
    ].join('\n');
    expect(commandsIn('x.md', md)).toEqual([
      { file: 'x.md', line: 4, text: 'npm ci' },
      { file: 'x.md', line: 4, text: 'npx vitest run suites/latency' },
      { file: 'x.md', line: 6, text: 'A=1 B="$(oc whoami -t; echo x)" npx vitest run suites/x' },
      { file: 'x.md', line: 11, text: 'npx vitest-llm-d sim --help' },
      { file: 'x.md', line: 18, text: 'echo "a # b"' },
      { file: 'x.md', line: 18, text: 'echo c#d' },
      { file: 'x.md', line: 19, text: "cat > bench/my.yaml <<'EOF'" },
      { file: 'x.md', line: 23, text: 'npx vitest run bench' },
    ]);
  });
});

describe('every shell command in README.md and docs/*.md is run by a test or a CI script', () => {
  test('the docs have commands', () => {
    expect(documented.length).toBeGreaterThan(0);
  });

  test('every command has an entry in test/docs/commands.ts', () => {
    const missing = documented.filter((c) => !entryOf(c.text)).map((c) => `${c.file}:${c.line}: ${c.text} is run by no test (add it to test/docs/commands.ts)`);
    expect(missing.join('\n')).toBe('');
  });

  test('every entry of test/docs/commands.ts matches a command in the docs', () => {
    const orphans = COMMANDS.filter((e) => !documented.some((c) => matches(e, c.text))).map((e) => `test/docs/commands.ts: ${label(e)} matches no command in ${docFiles.join(', ')} (remove the entry or fix its pattern)`);
    expect(orphans.join('\n')).toBe('');
  });

  const covered = COMMANDS.filter((e): e is CommandEntry & CoveredEntry => 'coveredBy' in e);
  test.for(covered.map((e) => [label(e), e] as const))('covered by its test: %s', ([, e]) => {
    const path = join(ROOT, e.coveredBy);
    expect(existsSync(path), `${e.coveredBy} does not exist`).toBe(true);
    const text = readFileSync(path, 'utf8');
    for (const part of e.contains) expect(text.includes(part), `${e.coveredBy} no longer contains ${JSON.stringify(part)}`).toBe(true);
    expect(e.contains.length).toBeGreaterThan(0);
  });

  test('not runnable here, and why', () => {
    const not = COMMANDS.flatMap((e) => ('notRunnable' in e ? [[label(e), e.notRunnable] as const] : []));
    for (const [command, reason] of not) {
      expect(reason.length, command).toBeGreaterThan(20);
      console.log(`not runnable here: ${command}\n  ${reason}`);
    }
  });
});

describe('the commands run here', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'docs-commands-'));
  const ctx: DocsContext = { repo: ROOT };
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const slots = limiter(3);
  test.concurrent.for(runs.map((r) => [`${r.doc.file}:${r.doc.line}: ${r.doc.text}`, r] as const))('%s', { timeout: 240_000 }, async ([, { doc, spec }]) => {
    const r = await slots(() => runDocumented(doc.text, spec, ctx, scratch));
    expect(r.code, `${r.command}\n${r.output}`).toBe(spec.exitCode);
    // A server's check ran while it served.
    if (!spec.servesWhen) await spec.check(r, ctx);
  });
});

/** At most `n` of the given jobs at once. */
function limiter(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** The environment of a documented command: this one's, without Vitest's or BENCH_* settings. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|BENCH_|TEST$|NODE_ENV$|KUBECONFIG$)/.test(k)));
}

let runCount = 0;

/** Runs a documented command with bash, placeholders substituted, in the repository or a fresh folder. */
async function runDocumented(text: string, spec: RunSpec, ctx: DocsContext, scratch: string): Promise<RunResult> {
  const dir = join(scratch, `run-${runCount++}`);
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  // npx vitest-llm-d in a folder of its own runs this package, never one from a registry.
  symlinkSync(join(ROOT, 'bin/vitest-llm-d.js'), join(dir, 'node_modules/.bin/vitest-llm-d'));
  spec.setup?.(dir, ctx);
  let command = text;
  for (const [from, to] of spec.substitute?.(ctx) ?? []) {
    if (!command.includes(from)) throw new Error(`${text}: no ${JSON.stringify(from)} to substitute`);
    command = command.replaceAll(from, to);
  }
  const cwd = spec.cwd === 'repo' ? ROOT : dir;
  // Results of a suite land in the scratch folder; no targets.yaml of the repository is read; npx never asks a registry.
  const env = { ...baseEnv(), CI: 'true', NO_COLOR: '1', npm_config_offline: 'true', npm_config_update_notifier: 'false', BENCH_RESULTS_DIR: join(dir, 'results'), BENCH_TARGETS_FILE: '', ...spec.env?.(ctx, dir) };
  const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: RunResult = { code: null, stdout: '', output: '', cwd, command };
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // The group has exited.
    }
  };
  let served: Promise<void> | undefined;
  let serveError: unknown;
  const onData = (stdout: boolean) => (d: Buffer): void => {
    const t = d.toString();
    if (stdout) r.stdout += t;
    r.output += t;
    if (spec.servesWhen && !served && spec.servesWhen.test(r.output)) {
      served = Promise.resolve(spec.check(r, ctx)).catch((e: unknown) => void (serveError = e)).finally(() => signal('SIGINT'));
    }
  };
  child.stdout.on('data', onData(true));
  child.stderr.on('data', onData(false));
  const timer = setTimeout(() => signal('SIGKILL'), 150_000);
  r.code = await new Promise<number | null>((resolve) => child.on('close', (code, sig) => resolve(code ?? (sig ? 128 + constants.signals[sig] : null))));
  clearTimeout(timer);
  if (spec.servesWhen) {
    if (!served) throw new Error(`${command}: never printed ${spec.servesWhen}:\n${r.output}`);
    await served;
    if (serveError) throw serveError;
  }
  return r;
}
