export { SampleBuffer } from './sample-buffer.ts';
export {
  DEFAULT_PERCENTILES,
  parsePercentileKey,
  percentile,
  percentileKey,
  statOf,
  summarize,
  type Summary,
} from './summary.ts';
