import { describe, expect, it } from 'vitest';
import { dpcFacts, parseDpcLog } from '../../lib/k8s/dpc-log.ts';

const LOG = [
  'I1123 13:08:50.000100       1 inference-server.go:700] "Created launcher-based server-providing pod" requesterName="req-a" k8sCallStartTime="2026-11-23T13:08:50.000000Z"',
  'I1123 13:08:51.000000       1 inference-server.go:2209] "HTTP call done" purpose="create_instance" method="PUT" url="http://127.1.0.9:8001/v2/vllm/instances/Iabci" httpCallStartTime="2026-11-23T13:09:10.250000Z" latencySecs=0.012 statusCode=201 requesterName="req-b"',
  'I1123 13:08:52.000000       1 inference-server.go:2209] "HTTP call done" purpose="wake" method="POST" url="http://127.1.0.4:8000/wake_up" httpCallStartTime="2026-11-23T13:10:00.000000Z" latencySecs=0.53 statusCode=200 requesterName="req-c"',
  'I1123 13:08:52.600000       1 inference-server.go:2209] "HTTP call done" purpose="relay_ready" method="POST" url="http://127.1.0.3:8081/v1/become-ready" httpCallStartTime="2026-11-23T13:10:00.540000Z" latencySecs=0.010 statusCode=200 err=<nil> requesterName="req-c"',
  'I1123 13:08:52.700000       1 inference-server.go:577] "Observed actuation latency" path="hot" actuationSecs=2.5 requesterName="req-c"',
  'E1123 13:08:53.000000       1 inference-server.go:2209] "HTTP call done" purpose="wake" method="POST" url="http://x/wake_up" httpCallStartTime="2026-11-23T13:11:00.000000Z" latencySecs=30 statusCode=0 err="timeout" requesterName="req-d"',
  'not a klog line',
].join('\n');

describe('DPC log', () => {
  it('parses klog structured lines, quoted and bare values', () => {
    const lines = parseDpcLog(LOG);
    expect(lines).toHaveLength(6);
    expect(lines[1]).toEqual({
      message: 'HTTP call done',
      fields: {
        purpose: 'create_instance', method: 'PUT', url: 'http://127.1.0.9:8001/v2/vllm/instances/Iabci',
        httpCallStartTime: '2026-11-23T13:09:10.250000Z', latencySecs: '0.012', statusCode: '201', requesterName: 'req-b',
      },
    });
  });

  it('collects per-requester facts with µs times; failed calls do not count', () => {
    const f = dpcFacts(parseDpcLog(LOG));
    expect(f.get('req-a')?.createdLauncher).toBe(Date.parse('2026-11-23T13:08:50.000Z'));
    expect(f.get('req-b')?.createInstance).toBe(Date.parse('2026-11-23T13:09:10.250Z'));
    const c = f.get('req-c')!;
    expect(c.wake).toBe(Date.parse('2026-11-23T13:10:00.000Z'));
    expect(c.wakeLatencyS).toBe(0.53);
    // relay = start + latency = 13:10:00.540 + 10 ms
    expect(c.relayReady).toBe(Date.parse('2026-11-23T13:10:00.550Z'));
    expect(c.metricPath).toBe('hot');
    expect(f.get('req-d')?.wake).toBeUndefined();
  });
});
