import type { ApiAdapter } from './adapter.ts';
import { chatAdapter } from './chat.ts';
import { completionsAdapter } from './completions.ts';

export * from './adapter.ts';
export { BACKEND_CAPABILITIES, capabilitiesFor } from './capabilities.ts';

/** API adapters keyed by the config's `api` literal. */
export const API_ADAPTERS: Record<ApiAdapter['type'], ApiAdapter> = {
  completions: completionsAdapter,
  chat: chatAdapter,
};
