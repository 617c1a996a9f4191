/** Settings of what is done with a finished run: its folder, the regression gate, publishing. */
import { kind, text, timerSeconds } from './kinds.ts';
import { setting } from './setting.ts';

/** A run stamp: UTC time to the second, file-name safe. */
export const RUN_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;

/** Default of `BENCH_PUBLISH_TIMEOUT_S`, s. */
export const DEFAULT_PUBLISH_TIMEOUT_S = 30;

const stamp = kind('run stamp (2026-12-06T19-00-00Z)', (t) => (RUN_STAMP.test(t) ? t : undefined),
  (t) => `expected a run stamp like 2026-12-06T19-00-00Z, got ${JSON.stringify(t)}`);

/** `true`/`1` or `false`/`0`, any case; the message quotes the value as given. */
const trueFalse = kind('true or false (1/0)', (t) => {
  const v = t.toLowerCase();
  return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : undefined;
}, (_t, raw) => `${JSON.stringify(raw)} is not true or false`);

const checksumMode = kind('WHEN_SUPPORTED or WHEN_REQUIRED', (t) => {
  const v = t.toUpperCase();
  return v === 'WHEN_SUPPORTED' || v === 'WHEN_REQUIRED' ? v : undefined;
}, () => 'is not WHEN_SUPPORTED or WHEN_REQUIRED');

const EVERY_RUN = 'every run (reporters and workers)';

/** Run folder and regression gate. */
export const RESULTS_SETTINGS = {
  BENCH_RESULTS_DIR: setting({
    area: 'results', kind: text('path'), appliesTo: `${EVERY_RUN}, \`compare\``, default: 'results',
    meaning: 'Results root: each run writes `<stamp>-<suite>/` here.',
  }),
  BENCH_RUN_STAMP: setting({
    area: 'results', kind: stamp, appliesTo: 'distributed runs (set by the launcher)', setByTool: true, defaultText: 'the start time',
    meaning: "The run's stamp: the pods and the merge share one folder name and seed salt.",
    fail: (name, message) => new Error(`env ${name}: ${message}`),
  }),
  BENCH_BASELINE: setting({
    area: 'results', kind: text('path'), appliesTo: 'every suite measuring a target',
    meaning: 'A run folder to compare every test with: a regression fails the test.',
  }),
  BENCH_BASELINE_TOLERANCE: setting({
    area: 'results', kind: text('tolerances, e.g. ttft.p95=0.2,e2e=0.15,0.1'), appliesTo: 'with `BENCH_BASELINE`, `compare`', defaultText: "the scenario's `baseline`, else 0.1",
    meaning: 'Relative worsening allowed per metric (a bare number: every metric).',
  }),
  BENCH_PROGRESS: setting({
    area: 'results', kind: kind('0 or false to turn off', (t) => t !== '0' && t.toLowerCase() !== 'false', () => ''), appliesTo: 'the terminal (not in CI)', default: true,
    meaning: 'Live progress of long stages in the terminal.',
  }),
  BENCH_DEBUG: setting({
    area: 'results', kind: kind('any text turns it on', () => true, () => ''), appliesTo: 'every error of this tool', default: false,
    meaning: 'Keep stack traces and error causes.',
  }),
};

/** Publishing run folders to S3. */
export const PUBLISH_SETTINGS = {
  BENCH_PUBLISH: setting({
    area: 'publishing', kind: text('s3://<bucket>[/<prefix>]'), appliesTo: EVERY_RUN,
    meaning: 'Upload each run folder there at the end.',
  }),
  BENCH_PUBLISH_PATH_STYLE: setting({
    area: 'publishing', kind: trueFalse, appliesTo: 'with `BENCH_PUBLISH`', defaultText: 'on with a custom endpoint',
    meaning: 'Path-style URLs (`http://host/bucket/key`).',
  }),
  BENCH_PUBLISH_TIMEOUT_S: setting({
    area: 'publishing', kind: timerSeconds, appliesTo: 'with `BENCH_PUBLISH`', default: DEFAULT_PUBLISH_TIMEOUT_S,
    meaning: 'Connection and inactivity timeout per request, seconds; a transient failure is retried twice.',
  }),
  AWS_ENDPOINT_URL_S3: setting({
    area: 'publishing', kind: text('http(s) URL'), appliesTo: 'with `BENCH_PUBLISH`', defaultText: 'AWS S3',
    meaning: 'S3-compatible endpoint (MinIO, Ceph, ...); wins over `AWS_ENDPOINT_URL`.',
  }),
  AWS_ENDPOINT_URL: setting({
    area: 'publishing', kind: text('http(s) URL'), appliesTo: 'with `BENCH_PUBLISH`', defaultText: 'AWS S3',
    meaning: 'S3-compatible endpoint, when `AWS_ENDPOINT_URL_S3` is not set.',
  }),
  AWS_REGION: setting({
    area: 'publishing', kind: text('region'), appliesTo: 'with `BENCH_PUBLISH`', defaultText: '`AWS_DEFAULT_REGION`, else `us-east-1`',
    meaning: 'Region of the bucket.',
  }),
  AWS_DEFAULT_REGION: setting({
    area: 'publishing', kind: text('region'), appliesTo: 'with `BENCH_PUBLISH`', default: 'us-east-1',
    meaning: 'Region of the bucket, when `AWS_REGION` is not set.',
  }),
  AWS_ACCESS_KEY_ID: setting({
    area: 'publishing', kind: text('key id'), appliesTo: 'with `BENCH_PUBLISH`', defaultText: "the AWS SDK's default chain",
    meaning: 'Access key (with `AWS_SECRET_ACCESS_KEY`).',
  }),
  AWS_SECRET_ACCESS_KEY: setting({
    area: 'publishing', kind: text('secret'), appliesTo: 'with `BENCH_PUBLISH`', defaultText: "the AWS SDK's default chain",
    meaning: 'Secret key (with `AWS_ACCESS_KEY_ID`).',
  }),
  AWS_SESSION_TOKEN: setting({
    area: 'publishing', kind: text('secret'), appliesTo: 'with `BENCH_PUBLISH`',
    meaning: 'Session token of temporary keys.',
  }),
  AWS_PROFILE: setting({
    area: 'publishing', kind: text('profile name'), appliesTo: 'with `BENCH_PUBLISH`',
    meaning: 'Profile of the shared AWS config files, for the default chain.',
  }),
  AWS_REQUEST_CHECKSUM_CALCULATION: setting({
    area: 'publishing', kind: checksumMode, appliesTo: 'with `BENCH_PUBLISH`', defaultText: '`WHEN_SUPPORTED` on AWS, `WHEN_REQUIRED` with a custom endpoint',
    meaning: 'When uploads carry SDK checksums (many S3-compatible stores do not understand them).',
  }),
};
