/**
 * llm-d-benchmark's inference-perf profiles (`workload/profiles/inference-perf/*.yaml.in`) carry
 * `REPLACE_ENV_<NAME>` tokens, which its renderer replaces with values from its plan or the
 * run, leaving unknown tokens as written (llm-d/llm-d-benchmark
 * `llmdbenchmark/utilities/profile_renderer.py`, `render_profile` and `PROFILE_TOKENS`). Here a
 * token reads environment variable `NAME`: it is rewritten to `${NAME}` before substitution, so a
 * set variable is used and an unset one is a problem like any other, except where llm-d-benchmark
 * would have filled in what this tool decides itself:
 * - `REPLACE_ENV_LLMDBENCH_HARNESS_STACK_ENDPOINT_URL` (the URL llm-d-benchmark detects) is not
 *   needed when the environment replaces the URL (`BENCH_BASE_URL`, `BENCH_TARGET`, ...);
 * - `REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL` / `..._TOKENIZER` (the model it deployed) in
 *   `model_name` or the tokenizer are not needed: the model is the target's (`BENCH_MODEL`, or
 *   the first one the server lists) and the tokenizer is chosen for it.
 */
import { isScalar, visit } from 'yaml';
import type { Document, Scalar } from 'yaml';
import { pathPattern } from './key-policy.ts';

const TOKEN = /REPLACE_ENV_(\w+)/g;

/** Keys whose token stands for the deployed model. */
export const MODEL_PATTERNS: ReadonlySet<string> = new Set(['endpoint.model', 'workload.*.server.model_name', 'workload.*.tokenizer.pretrained_model_name_or_path']);

/** Rewrites every `REPLACE_ENV_<NAME>` of `doc`'s string scalars to `${NAME}`; returns the scalars rewritten. */
export function rewriteProfileTokens(doc: Document): WeakSet<Scalar> {
  const rewritten = new WeakSet<Scalar>();
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== 'string' || !node.value.includes('REPLACE_ENV_')) return;
      node.value = node.value.replace(TOKEN, '$${$1}');
      rewritten.add(node);
    },
  });
  return rewritten;
}

/** Why a profile token left unset at `path` does not matter, or undefined. */
export function unsetTokenAllowed(doc: Document, rewritten: WeakSet<Scalar>, path: readonly PropertyKey[]): string | undefined {
  if (!MODEL_PATTERNS.has(pathPattern(path))) return undefined;
  const node = doc.getIn(path as PropertyKey[], true);
  if (!isScalar(node) || !rewritten.has(node)) return undefined;
  return "llm-d-benchmark fills it with the model it deployed; here the model is the target's (BENCH_MODEL, or the first one the server lists) and the tokenizer is chosen for it";
}
