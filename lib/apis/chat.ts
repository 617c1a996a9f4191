import { type ApiAdapter, commonBodyFields, readUsage } from './adapter.ts';

type Message = { content?: unknown; reasoning_content?: unknown; reasoning?: unknown };

/**
 * `POST /v1/chat/completions`: the prompt is one user message; text in `choices[0].delta`
 * (streamed) or `choices[0].message`. Reasoning text (`reasoning_content`, or `reasoning` in newer
 * vLLM) counts as output: those are generated tokens, so TTFT ends at the first of them.
 */
export const chatAdapter: ApiAdapter = {
  type: 'chat',
  path: '/chat/completions',
  body(req, caps) {
    return JSON.stringify({ ...commonBodyFields(req, caps), messages: [{ role: 'user', content: req.prompt }] });
  },
  read(json, out, full) {
    if (typeof json !== 'object' || json === null) return false;
    const { choices, usage } = json as { choices?: unknown; usage?: unknown };
    if (!Array.isArray(choices)) return false;
    const c = choices[0] as { delta?: Message; message?: Message; finish_reason?: unknown } | undefined;
    const m = c ? (full ? c.message : c.delta) : undefined;
    out.text = m ? textOf(m) : '';
    out.finishReason = c && typeof c.finish_reason === 'string' ? c.finish_reason : null;
    out.usage = readUsage(usage);
    out.choice = choices.length > 0;
    return true;
  },
};

function textOf(m: Message): string {
  const content = typeof m.content === 'string' ? m.content : '';
  const reasoning =
    typeof m.reasoning_content === 'string' ? m.reasoning_content : typeof m.reasoning === 'string' ? m.reasoning : '';
  return reasoning ? reasoning + content : content;
}
