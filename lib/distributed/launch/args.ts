/**
 * The command line of `vitest-llm-d launch`: what to run (a suite name, a suite folder or test
 * files), how many pods, where, with which image, and vitest's own options after `--`. Pure but
 * for reading the folder and `package.json`: every mistake is one {@link LaunchUsageError} line.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { suiteOf } from '../../report/run-info.ts';
import { LaunchUsageError } from './errors.ts';

/** Default `--wait-timeout`, seconds. */
export const DEFAULT_WAIT_TIMEOUT_S = 1800;

/** What `launch` was asked to do. */
export interface LaunchArgs {
  /** The suite the files belong to (`suites/<suite>/...`, else the files' folder name). */
  suite: string;
  /** Test files, relative to the working directory with `/` separators, sorted. */
  testFiles: string[];
  /** Pods of the Indexed Job (completions and parallelism). */
  parallelism: number;
  /** `--namespace`; undefined: the kubeconfig context's namespace. */
  namespace?: string;
  /** `--results-pvc`: a PersistentVolumeClaim the pods also write their results to (mounted at `/results`). */
  resultsPvc?: string;
  /** `--image`; default `vitest-llm-d:<package.json version>`. */
  image: string;
  /** `--wait-timeout`, seconds (real time). */
  waitTimeoutS: number;
  /** Options after `--`, for vitest in the pods and in the merge run. */
  vitestArgs: string[];
  /** `--help` was asked. */
  help: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The image tag that matches this installation: `vitest-llm-d:<version>`. */
export function defaultImage(packageRoot: string): string {
  try {
    const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return `vitest-llm-d:${typeof version === 'string' ? version : 'latest'}`;
  } catch {
    return 'vitest-llm-d:latest';
  }
}

/** `*.test.ts` (the suites), `*.spec.ts`, or `*.suite.ts` (suites kept out of a project's own `npm test`). */
function isTestFile(name: string): boolean {
  return /\.(test|spec|suite)\.[cm]?[jt]s$/.test(name);
}

/** Test files directly in `dir` (the layout of `suites/<name>/`), relative to `cwd`. */
function testFilesIn(dir: string, cwd: string, shown: string): string[] {
  const files = readdirSync(dir).filter(isTestFile).sort().map((f) => toRelative(join(dir, f), cwd));
  if (files.length === 0) throw new LaunchUsageError(`${shown}: no test files (*.test.ts) in this folder`);
  return files;
}

function toRelative(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  if (rel.startsWith('..') || rel === '') throw new LaunchUsageError(`${path}: outside the project folder ${cwd} (the pods run the project's copy in the image)`);
  return rel.split(sep).join('/');
}

/** The test files of `targets` (one suite name, one folder, or test files). */
export function resolveTestFiles(targets: string[], cwd: string): string[] {
  if (targets.length === 0) throw new LaunchUsageError('what to run is required: a suite name (throughput), its folder (suites/throughput) or test files');
  const files: string[] = [];
  for (const t of targets) {
    const path = resolve(cwd, t);
    if (existsSync(path) && statSync(path).isDirectory()) files.push(...testFilesIn(path, cwd, t));
    else if (existsSync(path)) {
      if (!isTestFile(t)) throw new LaunchUsageError(`${t}: not a test file (*.test.ts)`);
      files.push(toRelative(path, cwd));
    } else if (!t.includes('/') && existsSync(join(cwd, 'suites', t))) files.push(...testFilesIn(join(cwd, 'suites', t), cwd, `suites/${t}`));
    else {
      const suites = existsSync(join(cwd, 'suites')) ? readdirSync(join(cwd, 'suites')).filter((n) => statSync(join(cwd, 'suites', n)).isDirectory()) : [];
      throw new LaunchUsageError(`${t}: no such suite, folder or file${suites.length ? ` (suites: ${suites.join(', ')})` : ''}`);
    }
  }
  return [...new Set(files)].sort();
}

function option(own: string[], i: number, name: string): string {
  const value = own[i + 1];
  if (value === undefined || value.startsWith('--')) throw new LaunchUsageError(`${name}: a value is required`);
  return value;
}

function integer(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new LaunchUsageError(`${name}: expected a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Parses the arguments after `launch`. `--option value` and `--option=value` both work;
 * everything after `--` goes to vitest. Throws {@link LaunchUsageError} for anything wrong.
 */
export function parseLaunchArgs(argv: string[], options: { cwd: string; packageRoot: string }): LaunchArgs {
  const dash = argv.indexOf('--');
  const raw = dash >= 0 ? argv.slice(0, dash) : argv;
  const vitestArgs = dash >= 0 ? argv.slice(dash + 1) : [];
  const own = raw.flatMap((a) => (a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
  const help = own.includes('--help') || own.includes('-h');
  const targets: string[] = [];
  let parallelism: number | undefined;
  let namespace: string | undefined;
  let resultsPvc: string | undefined;
  let image: string | undefined;
  let waitTimeoutS = DEFAULT_WAIT_TIMEOUT_S;
  for (let i = 0; i < own.length; i++) {
    const a = own[i]!;
    switch (a) {
      case '--help':
      case '-h':
        break;
      case '--parallelism':
      case '-p':
        parallelism = integer(option(own, i++, '--parallelism'), '--parallelism', 1);
        break;
      case '--namespace':
      case '-n':
        namespace = option(own, i++, '--namespace');
        if (!DNS_LABEL.test(namespace) || namespace.length > 63) throw new LaunchUsageError(`--namespace: ${JSON.stringify(namespace)} is not a namespace name (lower-case letters, digits, -)`);
        break;
      case '--results-pvc':
        resultsPvc = option(own, i++, '--results-pvc');
        if (!DNS_SUBDOMAIN.test(resultsPvc) || resultsPvc.length > 253) throw new LaunchUsageError(`--results-pvc: ${JSON.stringify(resultsPvc)} is not a PersistentVolumeClaim name`);
        break;
      case '--image':
        image = option(own, i++, '--image');
        if (/\s/.test(image) || image === '') throw new LaunchUsageError(`--image: ${JSON.stringify(image)} is not an image reference`);
        break;
      case '--wait-timeout':
        waitTimeoutS = integer(option(own, i++, '--wait-timeout'), '--wait-timeout', 1);
        break;
      default:
        if (a.startsWith('-')) throw new LaunchUsageError(`${a}: unknown option (vitest options go after --)`);
        targets.push(a);
    }
  }
  const base = { image: image ?? defaultImage(options.packageRoot), waitTimeoutS, vitestArgs, help, ...(namespace ? { namespace } : {}), ...(resultsPvc ? { resultsPvc } : {}) };
  if (help) return { ...base, suite: '', testFiles: [], parallelism: parallelism ?? 1 };
  if (parallelism === undefined) throw new LaunchUsageError('--parallelism: required (the number of pods, a whole number >= 1)');
  const testFiles = resolveTestFiles(targets, options.cwd);
  const suites = [...new Set(testFiles.map((f) => suiteOf(f)))];
  if (suites.length > 1) throw new LaunchUsageError(`test files of one suite only, got ${suites.join(', ')} (launch each suite on its own)`);
  return { ...base, suite: suites[0]!, testFiles, parallelism };
}
