import { SampleStore, type SampleStoreOptions } from './sample-store.ts';
import { registerStandIn } from './summary.ts';

/**
 * The samples of one metric with the array-like API statistics code has used so far: a
 * `SampleStore` (exact up to its cap, a histogram beyond it: memory stays bounded however long
 * the run) with `view()` and `sorted()`. New code should call `summarize()` on the store itself.
 */
export class SampleBuffer extends SampleStore {
  private standIn: Float64Array | null = null;

  constructor(initialCapacity = 256, options: Omit<SampleStoreOptions, 'initialCapacity'> = {}) {
    super({ ...options, initialCapacity });
  }

  /**
   * The samples as a view (no copy); valid until the next `push`. Once the store has folded past
   * its cap it keeps no samples: the view is then empty, and `summarize(view)` (lib/stats/summary)
   * still returns this store's summary, from its histogram and marked `exact: false`. Only
   * `summarize` can read such a view; anything else should use `exactSamples()` or `summarize()`.
   */
  view(): Float64Array {
    const exact = this.exactSamples();
    if (exact !== null) return exact;
    if (this.standIn === null) {
      this.standIn = new Float64Array(0);
      registerStandIn(this.standIn, (percentiles) => this.summarize(percentiles));
    }
    return this.standIn;
  }

  /** A sorted copy of the samples; only while exact (a RangeError once folded past the cap). */
  sorted(): Float64Array {
    const exact = this.exactSamples();
    if (exact === null) throw new RangeError(`the samples were folded into a histogram past ${this.exactCap}; use summarize()`);
    return exact.slice().sort();
  }
}
