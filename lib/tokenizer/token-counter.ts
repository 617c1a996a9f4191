import type { Worker } from 'node:worker_threads';
import { startWorker } from '../package/paths.ts';
import type { TokenizerName } from './tokenizer.ts';

/**
 * Counts tokens of output texts on a worker thread, so the thread that timestamps chunks never
 * spends milliseconds tokenizing (counting 500 Qwen3 tokens takes 3-5 ms). When more than
 * `maxPending` texts wait, new ones are not counted (`count` resolves null) rather than let
 * memory grow without bound; reports then say how many were checked.
 */
export class TokenCounter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (n: number | null) => void>();
  private readonly ready: Promise<void>;
  private nextId = 0;
  private failed: Error | null = null;

  constructor(
    readonly tokenizer: TokenizerName,
    private readonly maxPending = 10_000,
  ) {
    this.worker = startWorker(import.meta.url, './count-worker', { workerData: { name: tokenizer } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (m: { ready?: true; id?: number; tokens?: number }) => {
        if (m.ready) return resolve();
        const done = this.waiting.get(m.id!);
        this.waiting.delete(m.id!);
        if (this.waiting.size === 0) this.worker.unref();
        done?.(m.tokens ?? null);
      });
    });
    this.worker.on('error', (err) => {
      this.failed = err;
      for (const done of this.waiting.values()) done(null);
      this.waiting.clear();
    });
    // Referenced only while counts are pending (see `count`), so an idle counter never keeps the
    // process alive and a pending one never lets it exit early. After the listeners: attaching a
    // 'message' listener refs the worker's port again.
    this.worker.unref();
  }

  /** Resolves when the tokenizer is loaded in the worker (about 0.6 s for Qwen3). */
  async start(): Promise<void> {
    this.worker.ref();
    try {
      await this.ready;
    } finally {
      if (this.waiting.size === 0) this.worker.unref();
    }
  }

  /** Tokens of `text`; null when not counted (backlog full or the worker failed). */
  count(text: string): Promise<number | null> {
    if (this.failed || this.waiting.size >= this.maxPending) return Promise.resolve(null);
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage({ id, text });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

const shared = new Map<TokenizerName, TokenCounter>();

/** One started counter per tokenizer per process (the worker is unref'd and ends with the process). */
export async function sharedTokenCounter(name: TokenizerName): Promise<TokenCounter> {
  let c = shared.get(name);
  if (!c) shared.set(name, (c = new TokenCounter(name)));
  await c.start();
  return c;
}
