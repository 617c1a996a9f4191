/**
 * A growable buffer of float samples: 8 bytes a sample, amortised O(1) append, no per-sample
 * object. Statistics keep samples here rather than in JS arrays so a run of a million requests
 * costs megabytes, not hundreds of megabytes.
 */
export class SampleBuffer {
  private data: Float64Array;
  private n = 0;

  constructor(initialCapacity = 256) {
    this.data = new Float64Array(Math.max(1, initialCapacity));
  }

  /** Number of samples. */
  get length(): number {
    return this.n;
  }

  /** Appends one sample. */
  push(value: number): void {
    if (this.n === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = value;
  }

  /** The samples as a view (no copy); valid until the next `push`. */
  view(): Float64Array {
    return this.data.subarray(0, this.n);
  }

  /** A sorted copy of the samples. */
  sorted(): Float64Array {
    return this.data.slice(0, this.n).sort();
  }
}
