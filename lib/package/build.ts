/**
 * `npm run build` (also run by `prepack`): emits the published package's JavaScript and type
 * declarations into `dist/` from the TypeScript sources.
 *
 * 1. Removes `dist/`, so no file of a deleted source survives into a tarball.
 * 2. Runs `tsc -p tsconfig.build.json`: ESM JavaScript whose relative `.ts` import specifiers are
 *    rewritten to `.js` (`rewriteRelativeImportExtensions`), and `.d.ts` files.
 * 3. Rewrites the relative `.ts` specifiers that tsc leaves in the `.d.ts` files (it rewrites
 *    only the JavaScript) to `.js`, so a consumer's TypeScript resolves them as it resolves any
 *    published package's declarations, whatever its `moduleResolution` or `allowImportingTsExtensions`.
 *
 * Exits 1 with tsc's output when the sources do not compile.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from './paths.ts';

/**
 * A relative module specifier ending in `.ts` inside quotes, as declarations spell them:
 * `from './x.ts'`, `import("../y/z.ts")`, `declare module './x.ts'`.
 */
const RELATIVE_TS_SPECIFIER = /(["'])(\.\.?\/[^"'\n]*?)\.ts\1/g;

/** `text` of a `.d.ts` file with every relative `.ts` specifier ending in `.js` instead. */
export function declarationSpecifiersToJs(text: string): string {
  return text.replace(RELATIVE_TS_SPECIFIER, (_, quote: string, path: string) => `${quote}${path}.js${quote}`);
}

/** Every `.d.ts` file under `dir`, recursively. */
function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** Builds `<root>/dist` (see the module comment); returns the number of declaration files rewritten. */
export function build(root: string): number {
  const outDir = join(root, 'dist');
  rmSync(outDir, { recursive: true, force: true });
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit code ${result.status ?? result.signal})`);
  let rewritten = 0;
  for (const file of declarationFiles(outDir)) {
    const text = readFileSync(file, 'utf8');
    const fixed = declarationSpecifiersToJs(text);
    if (fixed === text) continue;
    writeFileSync(file, fixed);
    rewritten++;
  }
  return rewritten;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const rewritten = build(packageRoot());
    // On stderr, so `npm pack --json` (which runs this through prepack) still prints only JSON on stdout.
    process.stderr.write(`dist/ built (${rewritten} declaration files' import specifiers set to .js)\n`);
  } catch (err) {
    process.stderr.write(`build: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
