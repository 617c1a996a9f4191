/**
 * Actuation tests carry the server metrics of their window:
 * the embedded cluster simulator, a real Prometheus scraping its dual-pods controller's
 * `:8002/metrics` every second, one actuation scenario through the `Actuation` fixture, then the
 * report (what summary.json dumps) and its JUnit case hold `fma_actuation_seconds` by path.
 */
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Actuation } from '../../fixtures/actuation.ts';
import { loadActuationFile } from '../../lib/actuation/config.ts';
import type { ActuationReport } from '../../lib/actuation/report.ts';
import { renderJunit } from '../../lib/render/junit.ts';
import { scenarioRef } from '../../lib/scenario/scenario-set.ts';
import { openSimCluster, ROOT, testRunId, type SimCluster } from '../actuation/helpers.ts';
import { prometheusAvailability, startPrometheus, type PrometheusServer } from './prometheus-server.ts';

const availability = prometheusAvailability();
const SUITE_FILE = `${ROOT}/suites/actuation/actuation.yaml`;

describe.skipIf(!availability.available)(`actuation server metrics from a real Prometheus${availability.available ? '' : ` (skipped: ${availability.reason})`}`, () => {
  let cluster: SimCluster;
  let prom: PrometheusServer;

  beforeAll(async () => {
    // 20 cluster seconds per real second: the direct cold start (about a cluster minute) spans
    // several 1 s scrapes, so the window's range queries see the histogram before and after.
    cluster = await openSimCluster({ timeScale: 0.05 });
    // The controller's pod gets its loopback IP once the kubelet takes it on.
    let ip: string | null | undefined;
    for (let k = 0; k < 100 && !ip; k++) {
      ip = (await cluster.state()).pods.find((p) => p.name === 'dual-pods-controller-sim')?.podIP;
      if (!ip) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ip, 'controller pod IP').toBeTruthy();
    // The namespace target label ties the scrape to the run (as Kubernetes service discovery would).
    prom = await startPrometheus({ targets: [{ address: `${ip}:8002`, labels: { namespace: cluster.conn.namespace } }] });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await cluster?.close();
  });

  test('the report and its JUnit case carry fma_actuation_seconds by path for the test window', async ({ task }) => {
    const file = loadActuationFile(SUITE_FILE, { BENCH_REPLICAS: '1', BENCH_ITERATIONS: '1' });
    const baseline = scenarioRef({ kind: 'actuation', source: file.source, file, env: {} }, 'baseline');
    // The controller's histogram series is born at its first observation, which increase() cannot
    // count; one actuation before the measured one gives the series its first sample, as on a
    // long-running cluster.
    await new Actuation(cluster.conn, { meta: {}, file: task.file } as typeof task, testRunId('warm'), {}).run(baseline);
    const actuation = new Actuation(cluster.conn, task, testRunId('prom'), { BENCH_PROMETHEUS_URL: prom.url, BENCH_PROMETHEUS_SCRAPE_INTERVAL_S: '1' });
    const result = await actuation.run(baseline);
    expect(result.summary.ready).toBe(1);

    const report = task.meta.llmdActuation as ActuationReport;
    const m = report.serverMetrics!;
    expect(m).toMatchObject({ source: 'prometheus', endpoint: prom.url, filters: { namespace: cluster.conn.namespace } });
    expect(m.window.stages.map((s) => s.label)).toEqual(['up#1']);
    expect(Date.parse(m.window.start)).toBeLessThan(Date.parse(m.window.stages[0]!.start) + 1);
    // A direct provider's actuation: the controller labels it "hot" (its M2 cold starts are "hot").
    const count = m.metrics.find((x) => x.name === 'controller.actuations')!;
    expect(count.status, `${count.reason}: ${count.query} over ${JSON.stringify(m.window)}`).toBe('ok');
    expect(count.series.map((s) => s.labels.path)).toEqual(['hot']);
    expect(count.summary.last, JSON.stringify([count.series, m.window])).toBeGreaterThan(0.5);
    const p50 = m.metrics.find((x) => x.name === 'controller.actuationP50S')!;
    expect(p50.status, p50.reason).toBe('ok');
    // Cluster seconds: a direct cold start loads the model for about a minute of cluster time.
    expect(p50.summary.last).toBeGreaterThan(30);
    expect(m.notes.join('\n')).toContain('cluster seconds at time scale 0.05');
    // Nothing scrapes the simulated vLLM pods or a DCGM exporter here: absent, not zero.
    expect(m.missing.map((x) => x.name)).toContain('vllm.requestsRunning');
    expect(m.missing.find((x) => x.name === 'gpu.memoryUsedMiB')?.reason).toMatch(/no series|absent/);
    // summary.json dumps the report as it is.
    expect(JSON.parse(JSON.stringify(report)).serverMetrics.metrics.length).toBe(m.metrics.length);

    const xml = renderJunit([
      {
        suite: 'actuation',
        stamp: '2026-01-01T00-00-00Z',
        runDir: '/tmp/none',
        tool: { name: 'vitest-llm-d', version: '0.1.0', node: process.version },
        testFiles: ['suites/actuation/actuation.test.ts'],
        tests: [],
        actuation: [{ report, state: 'passed' }],
        failed: [],
        skipped: [],
        environment: null,
      },
    ]);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: { testsuite: { testcase: { properties: { property: Array<{ name: string; value: string }> } } } };
    };
    const props = Object.fromEntries(doc.testsuites.testsuite.testcase.properties.property.map((x) => [x.name, x.value]));
    expect(props.metrics).toContain(`prometheus ${prom.url}`);
    expect(props['metrics.controller.actuations']).toMatch(/ actuations$/);
    expect(props['metrics.controller.actuations.hot']).toMatch(/^[\d.]+ actuations$/);
    expect(props['metrics.controller.actuationP50S.hot']).toMatch(/^[\d.]+ s$/);
    expect(props['metrics.gpu.memoryUsedMiB']).toMatch(/^absent/);
  }, 90_000);
});
