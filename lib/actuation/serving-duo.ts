/**
 * A serving duo for a test: one requester from a template, scaled to 1, waited for until it is
 * Ready with its provider bound, then handed to the test with its timings and the provider's
 * address, and deleted after the test (with everything it caused) whatever the outcome.
 */
import type { Env } from '../config/substitute.ts';
import type { ClusterConnection } from '../k8s/connect.ts';
import type { RequesterRecord } from './record.ts';
import { ActuationSession, stepTimeoutError } from './session.ts';
import { settings } from '../settings/registry.ts';

export interface ServingDuo {
  /** The requester's record: path, intervals with their sources. */
  readonly record: RequesterRecord;
  /** `http://<provider IP>:<port>` of the serving vLLM, when known. */
  readonly url: string | undefined;
  /** Notes from the session (warnings, watch resumes). */
  readonly notes: string[];
  /** Deletes what the duo's run created; idempotent. */
  close(): Promise<string[]>;
}

export interface ServingDuoOptions {
  template: string;
  runId: string;
  vars?: Record<string, string | undefined>;
  /** Cluster seconds to wait. */
  waitTimeoutS: number;
  /** Model for the first-token request; null to skip it. */
  firstTokenModel: string | null;
}

/** Applies the template, scales it to one requester and waits for the duo (see the module comment). */
export async function openServingDuo(conn: ClusterConnection, o: ServingDuoOptions): Promise<ServingDuo> {
  const session = await ActuationSession.open(conn, {
    template: o.template,
    runId: o.runId,
    waitTimeoutS: o.waitTimeoutS,
    vars: { REPLICASET_NAME: `duo-${o.runId.slice(-12)}`.replace(/[^a-z0-9-]/g, '-'), ...o.vars },
    firstToken: o.firstTokenModel ? { model: o.firstTokenModel, maxTokens: 16 } : null,
  });
  try {
    const step = await session.scaleTo(1, 'up');
    if (step.timedOut) throw stepTimeoutError(step, o.waitTimeoutS);
    const record = step.requesters[0];
    if (!record) throw stepTimeoutError(step, o.waitTimeoutS);
    return {
      record,
      url: record.provider ? session.providerUrl(record.provider) : undefined,
      notes: [...session.rendered.warnings, ...session.notes],
      close: async () => (await session.close()).leftovers,
    };
  } catch (err) {
    await session.close();
    throw err;
  }
}

/** Options of a serving duo from the environment: `BENCH_TEMPLATE` (else `defaultTemplate`), `BENCH_WAIT_TIMEOUT_S` (cluster seconds, default 600), `BENCH_MODEL` for the first-token request. */
export function servingDuoOptions(env: Env, runId: string, defaultTemplate: string): ServingDuoOptions {
  const s = settings(env);
  return {
    template: s.get('BENCH_TEMPLATE') ?? defaultTemplate,
    runId,
    waitTimeoutS: s.get('BENCH_WAIT_TIMEOUT_S') ?? 600,
    firstTokenModel: s.get('BENCH_MODEL') ?? 'Qwen/Qwen3-0.6B',
  };
}
