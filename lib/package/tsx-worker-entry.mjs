// Worker-thread entry for a TypeScript module run from sources (see `startWorker` in paths.ts):
// registers tsx on this thread, then imports the module named by the first argument. The built
// package starts its compiled `.js` modules directly and never uses this file.
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
await import(pathToFileURL(process.argv[2]).href);
