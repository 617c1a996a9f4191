/** Settings that choose the target and shape every request to it. */
import { APIS, BACKENDS } from './setting.ts';
import { kind, oneOf, positiveNumber, text } from './kinds.ts';
import { setting } from './setting.ts';

/** Upper bound of the response size limits, MiB: past 512 MiB a body no longer fits one JavaScript string. */
export const MAX_MIB = 512;

/** MiB > 0 and at most {@link MAX_MIB}. */
const mib = kind(`MiB > 0, at most ${MAX_MIB}`, (t, raw) => {
  const v = positiveNumber.schema.safeParse(raw);
  return v.success && v.data <= MAX_MIB ? v.data : undefined;
}, (t, raw) => (positiveNumber.schema.safeParse(raw).success ? `expected at most ${MAX_MIB} (MiB), got ${t}` : `expected a positive number, got ${JSON.stringify(t)}`));

const EVERY_SUITE = 'every suite, check, launch';

/** Target selection and request settings. */
export const TARGET_SETTINGS = {
  BENCH_TARGET: setting({
    area: 'target', kind: text('target name'), appliesTo: EVERY_SUITE,
    meaning: 'Target name from the targets file; `simulator` is the embedded simulator.',
    defaultText: "the file's `default`, else its only target, else the embedded simulator",
  }),
  BENCH_TARGETS_FILE: setting({
    area: 'target', kind: text('path'), appliesTo: EVERY_SUITE, defaultText: '`targets.yaml` when it exists',
    meaning: 'The targets file (named endpoints).',
  }),
  BENCH_BASE_URL: setting({
    area: 'target', kind: text('http(s) base URL'), appliesTo: EVERY_SUITE,
    meaning: "An ad-hoc endpoint; with `BENCH_TARGET`, that target's URL.",
  }),
  BENCH_MODEL: setting({
    area: 'target', kind: text('model name'), appliesTo: `${EVERY_SUITE}; the actuation suite's first-token request`,
    meaning: "The target's model.", defaultText: 'the target\'s `model`, else the first one the server lists',
  }),
  BENCH_BACKEND: setting({
    area: 'target', kind: oneOf(BACKENDS), appliesTo: EVERY_SUITE,
    meaning: "The target's backend (server-side metric names, capabilities).",
  }),
  BENCH_API: setting({
    area: 'target', kind: oneOf(APIS), appliesTo: EVERY_SUITE,
    meaning: 'The API every request uses (completions or chat).',
  }),
  BENCH_TLS_CA_FILE: setting({
    area: 'target', kind: text('path'), appliesTo: EVERY_SUITE,
    meaning: 'CA certificate (PEM) of an https endpoint, replacing `tls.ca_file`.',
  }),
  BENCH_MAX_RESPONSE_MIB: setting({
    area: 'target', kind: mib, appliesTo: EVERY_SUITE, defaultText: 'the scenario\'s or target\'s `limits`, else 256',
    meaning: 'Largest response body of every request, MiB (`limits.max_response_mib`).',
  }),
  BENCH_MAX_EVENT_MIB: setting({
    area: 'target', kind: mib, appliesTo: EVERY_SUITE, defaultText: 'the scenario\'s or target\'s `limits`, else 32',
    meaning: 'Largest stream event of every request, MiB (`limits.max_event_mib`).',
  }),
  BENCH_SIMULATOR_URL: setting({
    area: 'target', kind: text('http(s) base URL'), appliesTo: 'suites run by `launch` (set by the launcher)', setByTool: true,
    meaning: 'A shared embedded simulator the pods send to, instead of one each.',
  }),
};
