/**
 * The data room: what each benchmark request says. A source yields one prepared, token-exact
 * prompt per request index; sources are looked up by the config's `data.type`.
 */
export { DataError } from './data-error.ts';
export type { DataErrorCode } from './data-error.ts';
export { deriveSeed, mix32, prngFor, splitmix32 } from '../stats/prng.ts';
export type { Prng } from '../stats/prng.ts';
export { buildRandomText, MAX_RANDOM_TEXT_TOKENS } from './random-text.ts';
export { createDataSource, DATA_SOURCE_TYPES } from './registry.ts';
export type { DataConfig, DataSourceFactory, DataSourceType } from './registry.ts';
export { resolveTokenizer } from './resolve-tokenizer.ts';
export type { ResolvedTokenizer } from './resolve-tokenizer.ts';
export type { DataSource, DataSourceContext, Prompt, TokenizerOption, TokenizerProvenance } from './source.ts';
export { checkRandomConfig, createRandomSource, drawLength, inputBuckets, RandomSource } from './random.ts';
export type { LengthBucket, LengthDistribution, RandomDataConfig } from './random.ts';
export { readDatasetFile } from './dataset-file.ts';
export type { DatasetReadOptions, DatasetReadSummary, DatasetRecord } from './dataset-file.ts';
export { DATASET_FORMAT_NAMES, DATASET_FORMATS } from './dataset-formats.ts';
export type { DatasetFormat } from './dataset-formats.ts';
export { firstExchange, formatSkips, noSkips, noUsableEntry, readSharegptFile, SHAREGPT_SKIP_REASONS } from './sharegpt-file.ts';
export type { Exchange, SharegptDataset, SharegptSkipReason } from './sharegpt-file.ts';
export {
  checkSharegptConfig,
  createSharegptSource,
  DEFAULT_MAX_PROMPT_TOKENS,
  DEFAULT_MAX_TOTAL_TOKENS,
  MIN_SHAREGPT_TOKENS,
  promptBuckets,
  SharegptSource,
} from './sharegpt.ts';
export type { SharegptDataConfig, SharegptStats } from './sharegpt.ts';
export { checkSharedPrefixConfig, createSharedPrefixSource, SharedPrefixSource } from './shared-prefix.ts';
export { conversationPlans, createConversationsSource, createSharedPrefixData, drawSeconds } from './session-sources.ts';
export type { ConversationsDataConfig } from './session-sources.ts';
export type { SharedPrefixDataConfig } from './shared-prefix.ts';
export { createSyntheticSource, islOslCells, mixOrder, SyntheticSource, syntheticCells } from './synthetic.ts';
export type { IslOslDataConfig, MixDataConfig, SyntheticCell, SyntheticDataConfig } from './synthetic.ts';
export { getWordPool } from './word-pool.ts';
export type { WordPool } from './word-pool.ts';
