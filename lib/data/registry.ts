import { DataError } from './data-error.ts';
import type { DataSource, DataSourceContext } from './source.ts';
import { createRandomSource } from './random.ts';
import type { RandomDataConfig } from './random.ts';
import { createSharegptSource } from './sharegpt.ts';
import type { SharegptDataConfig } from './sharegpt.ts';
import { createConversationsSource, createSharedPrefixData } from './session-sources.ts';
import type { ConversationsDataConfig } from './session-sources.ts';
import type { SharedPrefixDataConfig } from './shared-prefix.ts';
import { createSyntheticSource } from './synthetic.ts';
import type { IslOslDataConfig, MixDataConfig, SyntheticDataConfig } from './synthetic.ts';
import { createTraceSource } from './traces/source.ts';
import type { TraceDataConfig } from './traces/source.ts';

/**
 * The `data` section of a workload config, one member per source type. Each member mirrors the
 * zod schema of the same `type` in `lib/config` structurally, so the parsed config is assignable
 * without this room importing the config room. Add a member here and a factory below together.
 */
export type DataConfig =
  | SyntheticDataConfig
  | IslOslDataConfig
  | MixDataConfig
  | RandomDataConfig
  | SharedPrefixDataConfig
  | SharegptDataConfig
  | ConversationsDataConfig
  | TraceDataConfig;

/** Every registered source type, the literal of `data.type`. */
export type DataSourceType = DataConfig['type'];

/** Builds the source of one config type; prompts are built later, by `prepare`. */
export type DataSourceFactory<C extends DataConfig> = (config: C, ctx: DataSourceContext) => Promise<DataSource>;

/** Factories keyed by the same literal as the config's `data.type`; the mapped type makes a missing one a compile error. */
const DATA_SOURCES: { readonly [K in DataSourceType]: DataSourceFactory<Extract<DataConfig, { type: K }>> } = {
  synthetic: createSyntheticSource,
  isl_osl: createSyntheticSource,
  mix: createSyntheticSource,
  random: createRandomSource,
  shared_prefix: createSharedPrefixData,
  sharegpt: createSharegptSource,
  conversations: createConversationsSource,
  trace: createTraceSource,
};

/** The registered source types, in registry order. */
export const DATA_SOURCE_TYPES: readonly DataSourceType[] = Object.freeze(Object.keys(DATA_SOURCES) as DataSourceType[]);

/**
 * The data source a config asks for, with its tokenizer loaded (Qwen3 takes about 0.6 s once
 * per process). Call `prepare(count)` on it before the run.
 *
 * @param config the parsed `data` section.
 * @param ctx the target model (for `tokenizer: auto`) and the tokenizer to use when `config` names none.
 * @throws DataError `DATA_UNKNOWN_TYPE` for an unregistered `type`, `DATA_INVALID` for a bad value.
 */
export function createDataSource(config: DataConfig, ctx: DataSourceContext): Promise<DataSource> {
  const type: unknown = (config as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(DATA_SOURCES, type)) {
    return Promise.reject(
      new DataError(
        'DATA_UNKNOWN_TYPE',
        'data.type',
        `unknown data source ${JSON.stringify(type)} (known: ${DATA_SOURCE_TYPES.join(', ')})`,
      ),
    );
  }
  // The lookup is keyed by `config.type`, so the factory matches the config's own member.
  const factory = DATA_SOURCES[type as DataSourceType] as DataSourceFactory<DataConfig>;
  return factory(config, ctx);
}
