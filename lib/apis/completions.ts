import { type ApiAdapter, commonBodyFields, readUsage } from './adapter.ts';

/** `POST /v1/completions`: text in `choices[0].text`. The legacy API only knows `max_tokens`. */
export const completionsAdapter: ApiAdapter = {
  type: 'completions',
  path: '/completions',
  body(req, caps) {
    return JSON.stringify({ ...commonBodyFields(req, { ...caps, max_tokens_field: 'max_tokens' }), prompt: req.prompt });
  },
  read(json, out) {
    if (typeof json !== 'object' || json === null) return false;
    const { choices, usage } = json as { choices?: unknown; usage?: unknown };
    if (!Array.isArray(choices)) return false;
    const c = choices[0] as { text?: unknown; finish_reason?: unknown } | undefined;
    out.text = c && typeof c.text === 'string' ? c.text : '';
    out.finishReason = c && typeof c.finish_reason === 'string' ? c.finish_reason : null;
    out.usage = readUsage(usage);
    out.choice = choices.length > 0;
    return true;
  },
};
