/** The OpenTarget `runScenario` tests use: the vLLM simulator at `url`, counted with `tokenizer`. */
import { capabilitiesFor } from '../../lib/apis/index.ts';
import { HttpTarget } from '../../lib/http/target.ts';
import type { OpenTarget } from '../../lib/scenario/open-target.ts';
import { MODEL, TIMEOUTS } from '../http/drive.ts';

export function simTarget(url: string, tokenizer: OpenTarget['tokenizer']): OpenTarget {
  return {
    info: { name: 'simulator', kind: 'simulator', origin: 'test', baseUrl: url, model: MODEL, servedModels: [MODEL], backend: 'vllm', accelerator: null, notes: null, simulator: null },
    http: new HttpTarget({ baseUrl: url, timeouts: TIMEOUTS }),
    caps: capabilitiesFor('vllm'),
    defaultApi: 'completions',
    maxTokens: null,
    tokenizer,
    timeoutOverrides: undefined,
  };
}
