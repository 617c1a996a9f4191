/** Settings of the server and GPU metrics read over each test's window. */
import { bool, kind, text, timerSeconds } from './kinds.ts';
import { setting } from './setting.ts';

/** Default of `BENCH_PROMETHEUS_TIMEOUT_S`, s. */
export const DEFAULT_PROM_TIMEOUT_S = 10;

/** Default of `BENCH_PROMETHEUS_SCRAPE_INTERVAL_S`: OpenShift's 30 s; a Prometheus of its own usually says 15. */
export const DEFAULT_SCRAPE_INTERVAL_S = 30;

const ALL = 'every suite measuring a target (the report\'s server metrics)';

/** `on`/`true`/`1` or `off`/`false`/`0`; the message quotes the value as given. */
const onOff = kind('on or off (true/false, 1/0)', (t) => {
  const v = t.toLowerCase();
  return ['on', 'true', '1'].includes(v) ? true : ['off', 'false', '0'].includes(v) ? false : undefined;
}, (_t, raw) => `expected on or off, got ${JSON.stringify(raw)}`);

/** Seconds from 0.1 to 3600, as JavaScript reads a number. */
const scrapeInterval = kind('seconds 0.1..3600', (t) => {
  const v = Number(t);
  return Number.isFinite(v) && v >= 0.1 && v <= 3600 ? v : undefined;
}, (t) => `expected seconds between 0.1 and 3600, got ${JSON.stringify(t)}`);

/** Prometheus and direct scrape settings. */
export const METRICS_SETTINGS = {
  BENCH_PROMETHEUS_URL: setting({
    area: 'server metrics', kind: text('http(s) base URL'), appliesTo: `${ALL}; the actuation suite`,
    meaning: 'Prometheus query URL (or give `BENCH_PROMETHEUS_CLUSTER_DOMAIN`).',
  }),
  BENCH_PROMETHEUS_CLUSTER_DOMAIN: setting({
    area: 'server metrics', kind: text('domain'), appliesTo: `${ALL}; the actuation suite`,
    meaning: "An OpenShift cluster domain (`apps.example.com`): its monitoring stack's Prometheus.",
  }),
  BENCH_PROMETHEUS_TOKEN: setting({
    area: 'server metrics', kind: text('bearer token'), appliesTo: 'with Prometheus', defaultText: "in a pod, the service account's token",
    meaning: 'Bearer token for Prometheus.',
  }),
  BENCH_PROMETHEUS_TOKEN_FILE: setting({
    area: 'server metrics', kind: text('path'), appliesTo: 'with Prometheus',
    meaning: 'A file holding the bearer token for Prometheus.',
  }),
  BENCH_PROMETHEUS_CA_FILE: setting({
    area: 'server metrics', kind: text('path'), appliesTo: 'with Prometheus', defaultText: 'the system CAs',
    meaning: "CA certificate (PEM) of Prometheus's https endpoint.",
  }),
  BENCH_PROMETHEUS_INSECURE: setting({
    area: 'server metrics', kind: bool, appliesTo: 'with Prometheus', default: false,
    meaning: "Skip verifying Prometheus's certificate.",
  }),
  BENCH_PROMETHEUS_TIMEOUT_S: setting({
    area: 'server metrics', kind: timerSeconds, appliesTo: 'with Prometheus', default: DEFAULT_PROM_TIMEOUT_S,
    meaning: 'Timeout of each Prometheus request, seconds.',
  }),
  BENCH_PROMETHEUS_SCRAPE_INTERVAL_S: setting({
    area: 'server metrics', kind: timerSeconds, appliesTo: 'with Prometheus', default: DEFAULT_SCRAPE_INTERVAL_S,
    meaning: "The server's scrape interval, seconds: sizes `rate()` windows and the query step.",
  }),
  BENCH_METRICS_SCRAPE: setting({
    area: 'server metrics', kind: onOff, appliesTo: `${ALL}, without Prometheus`, default: true,
    meaning: "Scrape the model servers' `/metrics` during each test when no Prometheus is configured.",
  }),
  BENCH_METRICS_SCRAPE_INTERVAL_S: setting({
    area: 'server metrics', kind: scrapeInterval, appliesTo: `${ALL}, without Prometheus`, default: 1,
    meaning: 'Seconds between direct scrapes.',
  }),
};
