/**
 * Runs one actuation scenario against a cluster: every iteration gets a fresh workload from the
 * template (a new name), runs the scenario's steps, and is cleaned up before the next one starts,
 * whatever happened. A step that times out ends the scenario with the diagnostic, after cleanup;
 * what was measured up to then is in the result.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import type { ClusterConnection } from '../k8s/connect.ts';
import type { ActuationFile, ActuationScenario } from './config.ts';
import { ActuationResult, type ActuationSlo } from './result.ts';
import { ActuationSession, stepTimeoutError, type StepResult } from './session.ts';

export interface ActuationRunInput {
  conn: ClusterConnection;
  suite: string;
  name: string;
  scenario: ActuationScenario;
  file: { config: ActuationFile; path: string; source: string };
  /** Identifies this run in the cluster (`vitest-llm-d/run` label); lowercase alphanumerics and dashes. */
  runId: string;
  /** Leftover check results, per iteration, for the report and the tests. */
  onCleanup?(leftovers: string[], errors: string[]): void;
}

/** A DNS-1123 workload name: `<scenario>-<iteration>-<run>`. */
function workloadName(scenario: string, iteration: number, runId: string, extra = ''): string {
  const base = `${scenario}${extra ? `-${extra}` : ''}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${base.slice(0, 30)}-${iteration}-${runId.slice(-8)}`.replace(/-+/g, '-');
}

function readModels(file: string, source: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(source, 'models_file', `${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const models = (parsed as { models?: unknown }).models;
  if (!Array.isArray(models) || models.length === 0 || !models.every((m) => typeof m === 'string' && m.includes('/'))) {
    throw new ConfigError(source, 'models_file', `${file}: expected {"models": ["org/repo", ...]} with at least one model`);
  }
  return models as string[];
}

/** The file's snake_case SLO keys as the matcher's. */
export function sloFromConfig(slo: ActuationScenario['slo']): ActuationSlo {
  if (!slo) return {};
  return {
    hotP95Seconds: slo.hot_p95_s,
    warmP95Seconds: slo.warm_p95_s,
    coldP95Seconds: slo.cold_p95_s,
    coldLauncherP95Seconds: slo.cold_launcher_p95_s,
    totalP95Seconds: slo.total_p95_s,
    hitRateMin: slo.hit_rate_min,
    readyRateMin: slo.ready_rate_min,
  };
}

/** The phases whose requesters are counted, per scenario type (protocol 10.4). */
function countedPhase(type: ActuationScenario['type']): string {
  return type === 'scaling' || type === 'wake_cycle' ? 'up_again' : 'up';
}

export async function runActuationScenario(input: ActuationRunInput): Promise<ActuationResult> {
  const { conn, scenario, file } = input;
  const defaults = file.config.defaults;
  const dir = dirname(file.path);
  const template = resolve(dir, scenario.template ?? defaults.template);
  const replicas = scenario.replicas ?? defaults.replicas;
  const iterations = scenario.iterations ?? defaults.iterations;
  const variants = scenario.type === 'new_variant' ? readModels(resolve(dir, scenario.models_file), file.source) : [null];
  const steps: StepResult[] = [];
  const notes: string[] = [];
  const counted: string[] = [];
  const result = new ActuationResult(input.suite, input.name, conn.kind, steps, counted, notes, sloFromConfig(scenario.slo));
  for (let iteration = 1; iteration <= iterations; iteration++) {
    for (const model of variants) {
      const [registry, ...repo] = model ? model.split('/') : [];
      const tag = `${iteration}${model ? `:${model}` : ''}`;
      const session = await ActuationSession.open(conn, {
        template,
        runId: input.runId,
        waitTimeoutS: defaults.wait_timeout_s,
        dpc: defaults.controller,
        firstToken: defaults.first_token.enabled ? { model: model ?? defaults.model, maxTokens: defaults.first_token.max_tokens } : null,
        vars: {
          REPLICASET_NAME: workloadName(input.name, iteration, input.runId, model ? repo.join('-') : ''),
          ...(model ? { MODEL_REGISTRY: registry, MODEL_REPO: repo.join('/') } : {}),
          ...scenario.vars,
        },
      });
      const phase = (p: string) => `${p}#${tag}`;
      counted.push(phase(countedPhase(scenario.type)));
      let failed: StepResult | undefined;
      try {
        for (const w of session.rendered.warnings) if (!notes.includes(w)) notes.push(w);
        const step = async (n: number, p: string) => {
          const s = await session.scaleTo(n, phase(p));
          steps.push(s);
          if (s.timedOut) failed = s;
          return !s.timedOut;
        };
        if (scenario.type === 'baseline' || scenario.type === 'new_variant') {
          await step(replicas, 'up');
        } else if (scenario.type === 'scaling') {
          if (await step(replicas, 'up')) {
            await session.scaleDownTo(1);
            await session.pause(scenario.pause_s);
            await step(replicas, 'up_again');
          }
        } else {
          let ok = true;
          for (let c = 0; c < scenario.cycles && ok; c++) {
            ok = await step(replicas, c === 0 ? 'up' : `up_${c + 1}`);
            if (ok) await session.scaleDownTo(0);
          }
          if (ok) await step(replicas, 'up_again');
        }
      } finally {
        notes.push(...session.notes.filter((n) => !notes.includes(n)));
        const cleanup = await session.close();
        input.onCleanup?.(cleanup.leftovers, cleanup.errors);
        if (cleanup.leftovers.length) notes.push(`cleanup left ${cleanup.leftovers.join(', ')}`);
        for (const e of cleanup.errors) notes.push(`cleanup: ${e}`);
      }
      if (failed) throw Object.assign(stepTimeoutError(failed, defaults.wait_timeout_s), { result });
    }
  }
  return result;
}
