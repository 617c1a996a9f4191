import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { getTokenizer, type TokenizerName } from './index.ts';

// Lowest CPU priority for this thread only (Linux applies setpriority(pid 0) to the calling
// thread): counting must never take a core from the thread that timestamps chunks or from a
// simulator on the same machine.
try {
  setPriority(19);
} catch {
  // Not permitted or not supported: counting still works, at normal priority.
}

/** Counting loop of the token-count worker: `{ id, text }` in, `{ id, tokens }` out. */
const tokenizer = await getTokenizer((workerData as { name: TokenizerName }).name);
parentPort!.on('message', (m: { id: number; text: string }) => {
  parentPort!.postMessage({ id: m.id, tokens: tokenizer.count(m.text) });
});
parentPort!.postMessage({ ready: true });
