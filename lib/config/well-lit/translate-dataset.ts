/**
 * An inference-perf dataset-file workload (`shareGPT`, `billsum_conversations`, `cnn_dailymail`,
 * `infinity_instruct` with `path`) → a scenario's `sharegpt` data, read as inference-perf's
 * generator of that type reads it (kubernetes-sigs/inference-perf `inference_perf/datagen/dataset/*`).
 */
import type { Note } from './ip-distribution.ts';
import type { IssueList } from './issues.ts';
import type { IpDistribution, IpWorkload } from './workload-schema.ts';

/**
 * The dataset inference-perf loads from Hugging Face when `path` is not given, per data type
 * (`hf_sharegpt_datagen.py`: SHAREGPT_HF_DATASET_URL and SHAREGPT_HF_DATAFILES_PATH;
 * `cnn_dailymail_datagen.py`), or `null` where inference-perf itself requires `path`
 * (`infinity_instruct_datagen.py`, `hf_billsum_datagen.py`).
 */
const HUB_DATASETS: Readonly<Record<DatasetType, string | null>> = {
  shareGPT: 'anon8231489123/ShareGPT_Vicuna_unfiltered (file ShareGPT_V3_unfiltered_cleaned_split.json)',
  cnn_dailymail: 'abisee/cnn_dailymail (config 3.0.0)',
  infinity_instruct: null,
  billsum_conversations: null,
};

type DatasetType = Exclude<IpWorkload['data']['type'], 'random' | 'shared_prefix' | 'conversation_replay' | 'otel_trace_replay' | 'weka_trace_replay'>;

/** How inference-perf reads each dataset type's entries on the completion API (`lib/data/dataset-formats.ts`). */
const DATASET_FORMATS: Readonly<Record<DatasetType, string>> = {
  shareGPT: 'first_two_turns',
  billsum_conversations: 'first_two_turns',
  cnn_dailymail: 'cnn_dailymail',
  infinity_instruct: 'infinity_instruct',
};

/**
 * A dataset-file workload as a `sharegpt` source reading entries as inference-perf's generator
 * of that type does (`format`), with inference-perf's length filter: the distributions' `min`/`max`
 * keep or skip a conversation by its prompt and reply token counts (their mean and spread have no
 * effect on a dataset), on the completion API only, as inference-perf applies them
 * (`get_completion_data`; its chat path sends every conversation).
 */
export function translateDataset(
  d: IpWorkload['data'],
  seed: number | undefined,
  api: 'completion' | 'chat',
  at: PropertyKey[],
  issues: IssueList,
  note: Note,
  misplaced: (key: 'shared_prefix', usedBy: string) => boolean,
): Record<string, unknown> | undefined {
  const type = d.type as DatasetType;
  const bad = misplaced('shared_prefix', 'shared_prefix');
  const hub = HUB_DATASETS[type];
  if (d.path === undefined) {
    issues.add(
      [...at, 'path'],
      hub === null
        ? `required: inference-perf reads ${type} only from a file too; give the dataset's JSON or JSONL file as data.path`
        : `required: inference-perf downloads ${hub} from Hugging Face; nothing is downloaded here: download it and give its file as data.path`,
    );
    return undefined;
  }
  if (type === 'cnn_dailymail' && api === 'chat') {
    issues.add([...at, 'type'], "cnn_dailymail runs only on the completion API in inference-perf (its generator supports no other): set api.type: completion");
    return undefined;
  }
  if (bad) return undefined;
  const range = (x: IpDistribution | undefined): { min: number; max: number } | undefined => x && { min: x.min, max: x.max };
  const given = d.input_distribution !== undefined || d.output_distribution !== undefined;
  let filter: Record<string, unknown> = {};
  if (api === 'chat') {
    if (given) note('data.input_distribution', null, 'no effect on the chat API: inference-perf filters dataset conversations by length only for completion requests');
    note('data.type', type, "on the chat API inference-perf sends each whole conversation as messages without max_tokens; here the prompt its completion path reads is sent as one user message, max_tokens the reply's token count");
  } else {
    filter = { ...(d.input_distribution ? { input: range(d.input_distribution) } : {}), ...(d.output_distribution ? { output: range(d.output_distribution) } : {}) };
    if (given) note('data.input_distribution', filter, "a length filter on the dataset, as inference-perf's: conversations whose prompt or reply token count is outside min..max are skipped (mean and spread have no effect)");
  }
  // inference-perf streams the file in order, cycling; base_seed does not reorder it.
  return { type: 'sharegpt', path: d.path, format: DATASET_FORMATS[type], order: 'file', length_filter: filter, ...(seed === undefined ? {} : { seed }) };
}
