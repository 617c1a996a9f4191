/**
 * One benchmark target in `targets.yaml`: an OpenAI-compatible endpoint (`base_url`) or the
 * embedded simulator (`simulator:`), with what the client needs to talk to it.
 */
import { z } from 'zod';
import { SimulatorSectionSchema } from './simulator.ts';
import { LimitOverridesSchema } from './limits.ts';
import { TimeoutOverridesSchema } from './timeouts.ts';
import { APIS, BACKENDS } from '../../settings/setting.ts';

/** Names of targets and scenarios: letters, digits, `.`, `_`, `-`. */
export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

/** Reserved target name: the embedded simulator, always selectable. */
export const SIMULATOR_TARGET = 'simulator';

export { APIS, BACKENDS } from '../../settings/setting.ts';
/** Server software behind a target. */
export type Backend = (typeof BACKENDS)[number];

/** `completions` (`/v1/completions`) or `chat` (`/v1/chat/completions`). */
export type ApiKind = (typeof APIS)[number];

/** Tokenizer choices for prompt building and output counting. */
export const TOKENIZERS = ['auto', 'qwen3', 'words'] as const;

/** `auto`, `qwen3` or `words`. */
export const TokenizerOptionSchema = z
  .enum(TOKENIZERS)
  .describe(
    "Tokenizer for building prompts of exact token lengths and counting output when the server reports no usage: " +
      "auto (the model's own when known, else qwen3 as an approximation), qwen3, or words (the simulator's stand-in). Default auto.",
  );

/** The API field: `completions` or `chat`. */
export const ApiSchema = z
  .enum(APIS)
  .describe('OpenAI API to use: completions (/v1/completions) or chat (/v1/chat/completions).');

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** An http(s) base URL without credentials, query or fragment. Shared with `BENCH_BASE_URL`. */
export const BaseUrlSchema = z
  .string()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got a ${url.protocol} URL` });
    } else if (url.username || url.password) {
      ctx.addIssue({
        code: 'custom',
        message: 'credentials in the URL are not allowed: put the key in the environment variable named by api_key_env',
      });
    } else if (url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'must not have a query string or fragment' });
    }
  })
  .describe(
    'Endpoint URL: the server root (http://localhost:8000) or the OpenAI API root (https://api.openai.com/v1). ' +
      'Requests go to <root>/v1/... unless the path already ends in a version such as /v1. No credentials in the URL.',
  );

/** The name of the environment variable holding the bearer key, never the key itself. */
export const ApiKeyEnvSchema = z
  .string()
  .superRefine((value, ctx) => {
    // Checked before the name pattern so the message says what went wrong, without echoing it.
    if (/^sk-/i.test(value) || value.length > 64) {
      ctx.addIssue({
        code: 'custom',
        message:
          'looks like an API key, not a variable name: put the key in the environment and name the variable here (e.g. OPENAI_API_KEY)',
      });
    } else if (!ENV_NAME.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'expected an environment variable name (letters, digits, _; not starting with a digit)' });
    }
  })
  .describe(
    'Name of the environment variable holding the bearer API key (default OPENAI_API_KEY). ' +
      'When that variable is set, requests carry "Authorization: Bearer <key>"; the key never appears in reports.',
  );

/** Overrides of what the backend accepts; unset fields keep the backend's defaults. */
export const CapabilitiesSchema = z
  .strictObject({
    ignore_eos: z
      .boolean()
      .optional()
      .describe('Send ignore_eos so outputs are exactly max_tokens long (vLLM, SGLang, llama.cpp accept it; OpenAI rejects it).'),
    include_usage: z
      .boolean()
      .optional()
      .describe('Send stream_options.include_usage so the last chunk carries token usage.'),
    continuous_usage_stats: z
      .boolean()
      .optional()
      .describe('Send stream_options.continuous_usage_stats so every chunk carries usage, giving tokens per chunk (vLLM).'),
    max_tokens_field: z
      .enum(['max_tokens', 'max_completion_tokens'])
      .optional()
      .describe('Request field that caps output length: max_tokens, or max_completion_tokens (OpenAI chat).'),
  })
  .describe("Overrides of what this target's server accepts; unset fields keep the backend's defaults.");

/** Certificate verification of an https endpoint. */
export const TlsSchema = z
  .strictObject({
    ca_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'PEM file of the CA certificate(s) that signed the server certificate (a private CA, or a self-signed certificate itself), ' +
          'trusted instead of the system CAs; relative to the targets file. BENCH_TLS_CA_FILE overrides it.',
      ),
    insecure_skip_verify: z
      .boolean()
      .optional()
      .describe('Accept any server certificate, unverified (default false). Every report then says verification was off.'),
  })
  .describe('How to verify the server certificate of an https base_url (default: against the system CAs).');

/** TLS settings as written in a target. */
export type TlsSection = z.output<typeof TlsSchema>;

/** Capability overrides as written in a target. */
export type CapabilityOverrides = z.output<typeof CapabilitiesSchema>;

const TargetFieldsSchema = z.strictObject({
  name: z
    .string()
    .regex(NAME_PATTERN, 'must contain only letters, digits, ".", "_" and "-"')
    .describe('Target name, used by BENCH_TARGET and in reports. "simulator" is reserved for the embedded simulator.'),
  base_url: BaseUrlSchema.optional(),
  model: z
    .string()
    .min(1)
    .optional()
    .describe('Model to request. When unset, the preflight uses the first model the server lists at /v1/models.'),
  supported_models: z
    .array(z.string().min(1))
    .optional()
    .describe('Models this target serves, for documentation and for checking BENCH_MODEL against.'),
  api_key_env: ApiKeyEnvSchema.default('OPENAI_API_KEY'),
  api: ApiSchema.default('completions'),
  max_tokens: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Largest max_tokens this target accepts (its context limit for output); unset means no limit is known.'),
  accelerator: z.string().optional().describe('Hardware serving the model, free text for reports, e.g. "1x H100-80GB".'),
  backend: z
    .enum(BACKENDS)
    .default('vllm')
    .describe('Server software: vllm, llm-d, sglang, tgi, ollama, llama.cpp, lmstudio, openai or other (default vllm).'),
  notes: z.string().optional().describe('Free text shown in reports.'),
  headers: z
    .record(z.string().regex(HEADER_NAME, 'must be a valid HTTP header name'), z.string())
    .optional()
    .describe('Extra request headers, e.g. a gateway routing header. Use ${VAR} for secret values.'),
  timeouts: TimeoutOverridesSchema.optional(),
  limits: LimitOverridesSchema.optional(),
  tls: TlsSchema.optional(),
  capabilities: CapabilitiesSchema.optional(),
  tokenizer: TokenizerOptionSchema.default('auto'),
  simulator: SimulatorSectionSchema.optional(),
});

/**
 * One target. Exactly one of `base_url` (a real endpoint) or `simulator` (the embedded
 * simulator with those settings); the target named `simulator` may have neither (the simulator
 * with defaults) but never a `base_url`.
 */
export const TargetSchema = TargetFieldsSchema.superRefine((target, ctx) => {
  if (target.base_url !== undefined && target.simulator !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['simulator'],
      message: 'a target has either base_url (a real endpoint) or simulator (the embedded simulator), not both',
    });
  } else if (target.name === SIMULATOR_TARGET && target.base_url !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['base_url'],
      message: 'the name "simulator" is reserved for the embedded simulator; give this endpoint another name',
    });
  } else if (target.base_url === undefined && target.simulator === undefined && target.name !== SIMULATOR_TARGET) {
    ctx.addIssue({
      code: 'custom',
      path: ['base_url'],
      message: 'required (or add a simulator: section to use the embedded simulator)',
    });
  }
  if (target.tls !== undefined && target.base_url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls'], message: 'applies to an https base_url only, not to the embedded simulator' });
  }
  if (target.tls?.ca_file !== undefined && target.tls.insecure_skip_verify) {
    ctx.addIssue({ code: 'custom', path: ['tls'], message: 'set ca_file (verify against that CA) or insecure_skip_verify (verify nothing), not both' });
  }
  const { model, supported_models: supported } = target;
  if (model !== undefined && supported !== undefined && !supported.includes(model)) {
    ctx.addIssue({
      code: 'custom',
      path: ['model'],
      message: `"${model}" is not in supported_models (${supported.join(', ')})`,
    });
  }
}).describe('A benchmark target: an OpenAI-compatible endpoint or the embedded simulator.');

/** One target, defaults filled in. */
export type Target = z.output<typeof TargetSchema>;
