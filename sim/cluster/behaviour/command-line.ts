/**
 * Reading container command lines: words of a `sh -c` / `bash -c` script, the vLLM server's
 * flags (`vllm serve <model>` or `python -m vllm.entrypoints.openai.api_server --model <model>`),
 * and the launcher's `--port`. The simulator runs what a container *would* run, so it reads the
 * same flags the real program reads.
 */

/** Splits a shell command into words: single and double quotes, backslash escapes and line continuations; `;`, `&&`, `|` separate words. */
export function shellSplit(script: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < script.length && '"\\$`'.includes(script[i + 1]!)) word += script[++i];
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      const next = script[i + 1];
      i++;
      if (next !== undefined && next !== '\n') {
        word += next;
        inWord = true;
      }
    } else if (/\s/.test(ch) || ch === ';' || ch === '&' || ch === '|') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The words a container runs: argv, with the script of `sh -c` / `bash -c` split into words. */
export function commandWords(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    out.push(...(/\s/.test(a) ? shellSplit(a) : [a]));
  }
  return out;
}

/** Whether the words run a vLLM OpenAI server. */
export function runsVllmServer(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.includes('vllm.entrypoints.openai.api_server')) return true;
    if ((w === 'vllm' || w.endsWith('/vllm')) && words[i + 1] === 'serve') return true;
  }
  return false;
}

/** Reads `--name value` or `--name=value` (also the `_` spelling vLLM's parser accepts); the last one wins. */
export function flagValue(words: readonly string[], name: string): string | undefined {
  const spellings = [`--${name}`, `--${name.replaceAll('-', '_')}`];
  let value: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    for (const s of spellings) {
      if (w === s && i + 1 < words.length) value = words[i + 1];
      else if (w.startsWith(`${s}=`)) value = w.slice(s.length + 1);
    }
  }
  return value;
}

/** Every value given for a flag that takes several (`--served-model-name a b --port 1`). */
function flagValues(words: readonly string[], name: string): string[] {
  const i = words.findIndex((w) => w === `--${name}` || w === `--${name.replaceAll('-', '_')}`);
  if (i < 0) {
    const eq = words.find((w) => w.startsWith(`--${name}=`));
    return eq ? [eq.slice(name.length + 3)] : [];
  }
  const out: string[] = [];
  for (let j = i + 1; j < words.length && !words[j]!.startsWith('-'); j++) out.push(words[j]!);
  return out;
}

/** Whether a boolean flag is set (`--enable-sleep-mode`, not followed by `false`). */
export function hasFlag(words: readonly string[], name: string): boolean {
  const v = words.some((w) => w === `--${name}` || w === `--${name.replaceAll('-', '_')}`);
  const eq = flagValue(words, name);
  return v || (eq !== undefined && !/^(false|0)$/i.test(eq));
}

/** The vLLM server flags the simulator honours. */
export interface VllmServeArgs {
  /** `--model`, or the positional model of `vllm serve <model>`; vLLM's default otherwise. */
  model: string;
  /** `--served-model-name` (one or more); the model otherwise. */
  servedModelNames: string[];
  /** `--port`, default 8000. */
  port: number;
  /** `--enable-sleep-mode`. */
  enableSleepMode: boolean;
  /** `--max-model-len`, when given. */
  maxModelLen: number | undefined;
  /** `--gpu-memory-utilization`, default 0.9. */
  gpuMemoryUtilization: number;
  /** `--tensor-parallel-size`, default 1: how many of the visible GPUs it uses. */
  tensorParallelSize: number;
}

/** vLLM's default model when none is given. */
const VLLM_DEFAULT_MODEL = 'Qwen/Qwen3-0.6B';

function positiveNumber(raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Parses vLLM server flags from command words (or from a launcher instance's `options` string). */
export function parseVllmArgs(words: readonly string[]): VllmServeArgs {
  const serve = words.findIndex((w, i) => (w === 'vllm' || w.endsWith('/vllm')) && words[i + 1] === 'serve');
  const positional = serve >= 0 && words[serve + 2] !== undefined && !words[serve + 2]!.startsWith('-') ? words[serve + 2] : undefined;
  const model = flagValue(words, 'model') ?? positional ?? VLLM_DEFAULT_MODEL;
  const served = flagValues(words, 'served-model-name');
  const maxLen = flagValue(words, 'max-model-len');
  return {
    model,
    servedModelNames: served.length > 0 ? served : [model],
    port: Math.floor(positiveNumber(flagValue(words, 'port'), 8000)),
    enableSleepMode: hasFlag(words, 'enable-sleep-mode'),
    maxModelLen: maxLen === undefined ? undefined : Math.floor(positiveNumber(maxLen, 0)) || undefined,
    gpuMemoryUtilization: Math.min(1, positiveNumber(flagValue(words, 'gpu-memory-utilization'), 0.9)),
    tensorParallelSize: Math.floor(positiveNumber(flagValue(words, 'tensor-parallel-size'), 1)),
  };
}
