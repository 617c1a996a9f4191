#!/usr/bin/env node
// Entry point of the `vitest-llm-d` command. In a clone of the repository it runs the TypeScript
// sources through tsx (a dev dependency); in the installed package, which ships no sources, the
// JavaScript that `npm run build` emitted into dist/ (no tsx there).
import { existsSync } from 'node:fs';

const sources = new URL('../cli/main.ts', import.meta.url);
let cli;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(sources.href);
} else {
  cli = await import('../dist/cli/main.js');
}
process.exitCode = await cli.main(process.argv.slice(2));
