import { describe, expect, it } from 'vitest';
import { goFloat, goStruct, KLogger, KlogBuffer, klogHeader, klogValue, rfc3339Nano } from '../../behaviour/dual-pods/klog.ts';
import { DualPodsMetrics } from '../../behaviour/dual-pods/metrics.ts';

const T = Date.UTC(2026, 10, 23, 13, 8, 50, 123) + 0.456; // 13:08:50.123456

describe('klog lines (protocol 3, "DPC log lines")', () => {
  it('writes the klog header in cluster time', () => {
    expect(klogHeader('I', T, 'inference-server.go:577')).toBe('I1123 13:08:50.123456       1 inference-server.go:577]');
    expect(klogHeader('E', Date.UTC(2026, 0, 2, 3, 4, 5), 'x.go:1')).toBe('E0102 03:04:05.000000       1 x.go:1]');
  });

  it('formats values as klog does: quoted strings, bare numbers in Go form, <nil>, Go maps', () => {
    expect(klogValue('a "b"')).toBe('"a \\"b\\""');
    expect(klogValue(200)).toBe('200');
    expect(klogValue(0.53)).toBe('0.53');
    expect(klogValue(undefined)).toBe('<nil>');
    expect(klogValue(new Error('boom'))).toBe('"boom"');
    expect(klogValue(true)).toBe('true');
    expect(klogValue({ b: '2', a: ['x', 'y'] })).toBe('map[a:[x y] b:2]');
    expect(klogValue(goStruct({ Errors: ['no IP assigned yet'] }))).toBe('{Errors:[no IP assigned yet]}');
    expect(goFloat(0.00001234)).toBe('1.234e-05');
    expect(goFloat(1e21)).toBe('1e+21');
  });

  it('writes RFC 3339 nano timestamps with trailing zeros trimmed (httpCallStartTime, k8sCallStartTime)', () => {
    expect(rfc3339Nano(T)).toBe('2026-11-23T13:08:50.123456Z');
    expect(rfc3339Nano(Date.UTC(2026, 10, 23, 13, 8, 50))).toBe('2026-11-23T13:08:50Z');
    expect(rfc3339Nano(Date.UTC(2026, 10, 23, 13, 8, 50, 500))).toBe('2026-11-23T13:08:50.5Z');
  });

  it('puts bound values first, honours verbosity, keeps the newest lines within the limit', () => {
    const buf = new KlogBuffer(3, 2, () => T);
    const log = new KLogger(buf, 'inference-server.go:1').with('serverUID', 'u1', 'requesterName', 'r1');
    log.info(2, 'Bound server-providing Pod', 'name', 'p1');
    log.info(5, 'HTTP call done', 'purpose', 'wake');
    log.error(new Error('bad'), 'Failed to relay the readiness', 'readiness', 'ready');
    expect(buf.text()).toBe(
      'I1123 13:08:50.123456       1 inference-server.go:1] "Bound server-providing Pod" serverUID="u1" requesterName="r1" name="p1"\n' +
        'E1123 13:08:50.123456       1 inference-server.go:1] "Failed to relay the readiness" err="bad" serverUID="u1" requesterName="r1" readiness="ready"\n',
    );
    for (let i = 0; i < 100; i++) log.info(0, `m${i}`);
    expect(buf.text().trim().split('\n').map((l) => /"(m\d+)"/.exec(l)?.[1])).toEqual(['m97', 'm98', 'm99']);
    buf.close();
    log.info(0, 'after close');
    expect(buf.text()).not.toContain('after close');
  });
});

describe('controller metrics (protocol 3, "Prometheus metrics (DPC)")', () => {
  it('renders fma_actuation_seconds with the section 3 buckets, cumulative counts, sum and count', () => {
    const m = new DualPodsMetrics();
    m.actuation.observe(['ns', 'cold', '0', 'isc'], 12);
    m.actuation.observe(['ns', 'cold', '0', 'isc'], 0.5);
    const text = m.text();
    const labels = 'exported_namespace="ns",path="cold",instancesDeleted="0",isc_name="isc"';
    expect(text).toContain('# TYPE fma_actuation_seconds histogram');
    expect(text).toContain(`fma_actuation_seconds_bucket{${labels},le="0"} 0`);
    expect(text).toContain(`fma_actuation_seconds_bucket{${labels},le="1"} 1`);
    expect(text).toContain(`fma_actuation_seconds_bucket{${labels},le="10"} 1`);
    expect(text).toContain(`fma_actuation_seconds_bucket{${labels},le="15"} 2`);
    expect(text).toContain(`fma_actuation_seconds_bucket{${labels},le="1920"} 2`);
    expect(text).toContain(`fma_actuation_seconds_bucket{${labels},le="+Inf"} 2`);
    expect(text).toContain(`fma_actuation_seconds_sum{${labels}} 12.5`);
    expect(text).toContain(`fma_actuation_seconds_count{${labels}} 2`);
    const les = [...text.matchAll(/fma_actuation_seconds_bucket\{[^}]*le="([^"]+)"/g)].map((x) => x[1]);
    expect(les).toEqual(['0', '1', '3', '5', '7.5', '10', '15', '30', '60', '120', '240', '480', '960', '1920', '+Inf']);
  });

  it('labels fma_http_latency_seconds by purpose, method, namespace, ISC and status code, escaping values', () => {
    const m = new DualPodsMetrics();
    m.httpLatency.observe(['wake', 'POST', 'ns', 'a"b', '200'], 0.2);
    expect(m.text()).toContain('fma_http_latency_seconds_count{purpose="wake",method="POST",exported_namespace="ns",isc_name="a\\"b",status_code="200"} 1');
  });
});
