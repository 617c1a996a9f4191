/**
 * Where this package's own files are at run time, whether it runs from its TypeScript sources (a
 * clone of the repository, run by tsx or Vitest) or from the JavaScript that `npm run build` emits
 * into `dist/` (an installed package, where no `.ts` file and no tsx exist).
 *
 * - `packagePath('examples/well-lit/config.yaml')`: a data file shipped with the package, found
 *   from the package root (the folder whose package.json is named `vitest-llm-d`), so the same
 *   call works from `lib/x/y.ts` and from `dist/lib/x/y.js`.
 * - `runnableModule(import.meta.url, './main')`: a module to start in a child process. From
 *   sources, the `.ts` file with tsx's loader (`--import <tsx>`); from dist, the `.js` file with
 *   no loader.
 * - `startWorker(import.meta.url, './count-worker', options)`: the same module on a worker
 *   thread (which takes no `--import`: from sources it starts through `tsx-worker-entry.mjs`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The package's name, as its package.json spells it. */
export const PACKAGE_NAME = 'vitest-llm-d';

let root: string | null = null;

/** The folder holding this package's package.json (sources: the repository; installed: `node_modules/vitest-llm-d`). */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isThisPackage(manifest)) return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${PACKAGE_NAME}: no package.json named ${PACKAGE_NAME} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function isThisPackage(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** Absolute path of a file shipped with the package, from its root (`examples/well-lit/config.yaml`). */
export function packagePath(relative: string): string {
  return join(packageRoot(), relative);
}

/** The package's name and version, from its package.json. */
export function packageVersion(): { name: string; version: string } {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { name: string; version: string };
}

/** A module to run in a child process or worker thread, and the Node flags that load it. */
export interface RunnableModule {
  /** Absolute path of the module file. */
  file: string;
  /** Node flags it needs (tsx's loader from sources; none from dist). */
  execArgv: string[];
}

/**
 * The module `specifier` (no extension, relative to `fromUrl`, e.g. `'./main'`) as this
 * installation can run it: `main.ts` with tsx's loader when `fromUrl` is a TypeScript source,
 * `main.js` with no flags when it is compiled JavaScript.
 */
export function runnableModule(fromUrl: string, specifier: string): RunnableModule {
  const fromSource = /\.[cm]?ts$/.test(new URL(fromUrl).pathname);
  const file = fileURLToPath(new URL(`${specifier}${fromSource ? '.ts' : '.js'}`, fromUrl));
  // tsx is resolved from this package, so the loader is found whatever the child's working directory.
  return { file, execArgv: fromSource ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [] };
}

/** Registers tsx on a worker thread, then imports the `.ts` module named by its first argument. */
const TSX_WORKER_ENTRY = fileURLToPath(new URL('./tsx-worker-entry.mjs', import.meta.url));

/**
 * Starts the module `specifier` (as for {@link runnableModule}) on a worker thread: the `.js`
 * file directly from dist; from sources, `tsx-worker-entry.mjs`, which registers tsx on that
 * thread and imports the `.ts` file (a worker inherits no loader and accepts no `--import`).
 */
export function startWorker(fromUrl: string, specifier: string, options: WorkerOptions = {}): Worker {
  const module = runnableModule(fromUrl, specifier);
  if (module.execArgv.length === 0) return new Worker(module.file, options);
  return new Worker(TSX_WORKER_ENTRY, { ...options, argv: [module.file, ...(options.argv ?? [])] });
}
