export {
  DEFAULT_PRECISION_BITS,
  type EncodedHistogram,
  LogHistogram,
  relativeErrorOf,
} from './log-histogram.ts';
export { SampleBuffer } from './sample-buffer.ts';
export { DEFAULT_EXACT_CAP, type EncodedSampleStore, SampleStore, type SampleStoreOptions } from './sample-store.ts';
export {
  DEFAULT_PERCENTILES,
  parsePercentileKey,
  percentile,
  percentileKey,
  statOf,
  summarize,
  type Summary,
} from './summary.ts';
