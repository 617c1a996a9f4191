// Entry of a cluster simulator child process (see spawn.ts). Registers tsx so the TypeScript
// sources load on Node 20 from any working directory, then runs main.ts.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
