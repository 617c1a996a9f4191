// Worker-thread entry of `TokenCounter`: loads TypeScript through tsx, then the counting loop.
import { register } from 'tsx/esm/api';

register();
await import('./count-worker.ts');
