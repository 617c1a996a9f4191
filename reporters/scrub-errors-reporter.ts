import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { scrub } from '../lib/config/secrets.ts';
import { escapeControl } from '../lib/http/server-text.ts';
import { registerRunSecrets } from '../lib/run-folder/run-secrets.ts';

/** The fields of a Vitest test error that are printed as text. */
const TEXT_FIELDS = ['message', 'stack', 'diff', 'expected', 'actual'] as const;

/**
 * Scrubs the errors of failed tests in place, as each test finishes, before any reporter prints
 * them: Vitest shows an assertion's message and diff as they are, and they may hold a server's
 * string (`expect(servedModels).toContain(model)` with a model name that clears the screen) or a
 * secret. Every printed field is scrubbed of the run's secrets and has its control characters
 * escaped; the error summary at the end of the run then prints the scrubbed text.
 */
export class ScrubErrorsReporter implements Reporter {
  onInit(): void {
    registerRunSecrets();
  }

  onTestCaseResult(test: TestCase): void {
    for (const e of test.result().errors ?? []) scrubTestError(e);
  }

  onTestModuleEnd(mod: TestModule): void {
    for (const e of mod.errors()) scrubTestError(e);
  }
}

/** Scrubs one error's printed fields, and its causes', in place. */
export function scrubTestError(error: unknown, depth = 0): void {
  if (typeof error !== 'object' || error === null || depth > 5) return;
  const e = error as Record<string, unknown>;
  for (const k of TEXT_FIELDS) if (typeof e[k] === 'string') e[k] = escapeControl(scrub(e[k] as string));
  scrubTestError(e.cause, depth + 1);
}
