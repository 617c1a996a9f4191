/**
 * vLLM-style automatic prefix cache over token blocks. A sequence is cut into full blocks of
 * `blockSize` tokens (vLLM's `--block-size`); block i's hash chains the hash of block i-1 with its
 * own tokens, so a hit on block i implies the whole prefix up to it matches. Cached blocks live in
 * an LRU of `capacityBlocks` entries (the KV cache); the least recently used block is evicted
 * first. As in vLLM, the blocks of generated tokens are cached too (`vllm/v1/core/
 * kv_cache_manager.py` `allocate_slots` caches up to `num_computed_tokens + num_new_tokens` at
 * every step, decode steps included), so the next turn of a conversation, whose prompt is this
 * prompt plus this response plus a new message, hits both.
 */
export class PrefixCache {
  /** Tokens per block. */
  readonly blockSize: number;
  /** LRU capacity, in blocks. */
  readonly capacityBlocks: number;
  /** Block hash -> slot. Slots form a doubly linked list, least recently used at `head`. */
  private readonly slots = new Map<number, number>();
  private readonly keys: Float64Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  /** Slots `used ..` have never held a block; once all have, the least recent one is reused. */
  private used = 0;

  constructor(blockSize: number, capacityBlocks: number) {
    this.blockSize = blockSize;
    this.capacityBlocks = capacityBlocks;
    this.keys = new Float64Array(capacityBlocks);
    this.prev = new Int32Array(capacityBlocks);
    this.next = new Int32Array(capacityBlocks);
  }

  /** Number of blocks currently cached. */
  get size(): number {
    return this.slots.size;
  }

  /**
   * Chained hashes of the full blocks of `tokens` (a trailing partial block has none). `known`
   * are the hashes of its leading blocks when the caller has them (a longer sequence's prefix):
   * the chain goes on from the last of them, with the same result as hashing from the start.
   */
  blockHashes(tokens: readonly number[], known: readonly number[] = []): number[] {
    const n = Math.floor(tokens.length / this.blockSize);
    const out: number[] = known.length > n ? known.slice(0, n) : known.slice();
    for (let b = out.length; b < n; b++) {
      // Two 32-bit lanes seeded by the parent block's 53-bit hash give a 53-bit chained key.
      const parent = b === 0 ? 0 : out[b - 1]!;
      let h1 = 0x811c9dc5 ^ Math.floor(parent / 4294967296);
      let h2 = 0x2545f491 ^ (parent >>> 0);
      for (let i = b * this.blockSize, end = i + this.blockSize; i < end; i++) {
        const t = tokens[i]!;
        h1 = Math.imul(h1 ^ t, 0x01000193);
        h2 = Math.imul(h2 ^ (t + 0x9e3779b9), 0x5bd1e995);
        h2 ^= h2 >>> 15;
      }
      h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35) >>> 0;
      h2 >>>= 0;
      out[b] = (h1 & 0x1fffff) * 4294967296 + h2;
    }
    return out;
  }

  /**
   * Number of leading blocks of `hashes` present in the cache, at most `maxBlocks`. Touches the
   * matched blocks (they become most recently used).
   */
  match(hashes: readonly number[], maxBlocks = hashes.length): number {
    const limit = Math.min(maxBlocks, hashes.length);
    let n = 0;
    while (n < limit && this.slots.has(hashes[n]!)) n++;
    for (let i = 0; i < n; i++) this.touch(hashes[i]!);
    return n;
  }

  /** Adds (or refreshes) blocks, evicting the least recently used beyond capacity. */
  insert(hashes: readonly number[]): void {
    for (const h of hashes) this.touch(h);
  }

  /**
   * Keeps a finished request's blocks (prompt and generated tokens) cached: they are touched
   * tail first, so the tail is the first of them to be evicted, as vLLM frees a request's blocks
   * in reverse order (`vllm/v1/core/kv_cache_manager.py` `KVCacheManager.free`).
   */
  release(hashes: readonly number[]): void {
    for (let i = hashes.length - 1; i >= 0; i--) this.touch(hashes[i]!);
  }

  /** Drops every cached block. */
  clear(): void {
    this.slots.clear();
    this.head = this.tail = -1;
    this.used = 0;
  }

  /** Makes `h` the most recently used block, adding it (and evicting the least recent) if absent. */
  private touch(h: number): void {
    let s = this.slots.get(h);
    if (s === undefined) {
      if (this.used < this.capacityBlocks) s = this.used++;
      else {
        s = this.head;
        this.unlink(s);
        this.slots.delete(this.keys[s]!);
      }
      this.keys[s] = h;
      this.slots.set(h, s);
    } else {
      if (s === this.tail) return;
      this.unlink(s);
    }
    this.prev[s] = this.tail;
    this.next[s] = -1;
    if (this.tail >= 0) this.next[this.tail] = s;
    else this.head = s;
    this.tail = s;
  }

  private unlink(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }
}

/**
 * Prompt tokens vLLM reports as cached for a prompt of `promptTokens` tokens whose first
 * `matchedBlocks` blocks hit: whole blocks only, and never the last prompt token (vLLM always
 * recomputes it to produce the first output token's logits).
 */
export function maxCacheableBlocks(promptTokens: number, blockSize: number): number {
  return Math.max(0, Math.floor((promptTokens - 1) / blockSize));
}
