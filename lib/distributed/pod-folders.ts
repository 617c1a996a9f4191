/**
 * The pods' results as the launcher collected them into a run folder (`README.md` of lib/distributed):
 * `<run>/launch.json`, and per completion index `<run>/pods/<index>/` with the launcher's
 * `launch.json` (what it saw of the pod), the pod's `pod.json` (its clock offset, exit code) and
 * the pod's own run folder (`requests.jsonl`, `stages.jsonl`, `shares.jsonl`, `stats.jsonl`, ...). Everything
 * is optional but the records: a pod killed midway leaves what it had appended.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RequestRecord } from '../metrics/record.ts';
import { BenchError } from '../errors/bench-error.ts';
import { recordFromLine, type RequestLine } from '../run-folder/requests-file.ts';
import type { StageReport } from '../report/model.ts';
import { STATS_FILE, type ScenarioStatsLine } from './scenario-stats.ts';
import type { ShareLine } from './share-run.ts';

/** `pod.json`, written by `vitest-llm-d pod-run` at the end of the pod. */
export interface PodJson {
  index: number;
  count: number;
  pod: string | null;
  node: string | null;
  clock: { offsetMs: number; boundMs: number | null; rttMs?: number | null; samples?: number } | null;
  exitCode: number | null;
}

/** `pods/<index>/launch.json`, written by the launcher: the pod as the cluster reported it. */
export interface LaunchPodJson {
  index: number;
  pod: string | null;
  node: string | null;
  phase: string | null;
  reason: string | null;
  message: string | null;
  exitCode: number | null;
}

/** One pod's folder. */
export interface PodFolder {
  index: number;
  dir: string;
  /** The pod's own run folder (where its `shares.jsonl` is), or null when it wrote none. */
  runDir: string | null;
  pod: PodJson | null;
  launch: LaunchPodJson | null;
}

/** One pod's part of one scenario. */
export interface PodScenario {
  folder: PodFolder;
  share: Extract<ShareLine, { kind: 'share' }>;
  stages: Array<Extract<ShareLine, { kind: 'stage' }>>;
  /** Its stage reports (`stages.jsonl`), by reported stage index. */
  stageReports: StageReport[];
  /** Its records, times on the merge's timeline (`anchor`). */
  records: RequestRecord[];
  /** Where its clock anchor sits on the merge's timeline (`performance.now()` ms): add to its `*_ms` times. */
  anchorMs: number;
  /** Its statistics of the test in mergeable form (`stats.jsonl`), or null when it wrote none (killed before the test's end) or the file did not arrive. */
  statsLine: ScenarioStatsLine | null;
  /** Its `requests.jsonl` arrived (a file dropped in transfer, its sha256 wrong, is absent). */
  recordsFile: boolean;
}

const readJson = <T>(path: string): T | null => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
};

/** Parallelism of the launch (`launch.json`), else the largest `count` a pod reported, else the folders' indices + 1. */
export function listPodFolders(runDir: string): { parallelism: number; pods: PodFolder[] } {
  const root = join(runDir, 'pods');
  if (!existsSync(root)) throw new BenchError('MERGE_NO_PODS', `${runDir}: no pods/ folder to merge (BENCH_MERGE names the launch's run folder)`);
  const pods: PodFolder[] = [];
  for (const name of readdirSync(root)) {
    if (!/^\d+$/.test(name)) continue;
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    const sub = readdirSync(dir).map((n) => join(dir, n)).find((p) => statSync(p).isDirectory() && existsSync(join(p, 'shares.jsonl')));
    pods.push({ index: Number(name), dir, runDir: sub ?? null, pod: readJson<PodJson>(join(dir, 'pod.json')), launch: readJson<LaunchPodJson>(join(dir, 'launch.json')) });
  }
  pods.sort((a, b) => a.index - b.index);
  const launch = readJson<{ parallelism?: number }>(join(runDir, 'launch.json'));
  const parallelism = launch?.parallelism ?? Math.max(0, ...pods.map((p) => p.pod?.count ?? 0), ...pods.map((p) => p.index + 1));
  return { parallelism, pods };
}

async function* jsonLines<T>(path: string): AsyncGenerator<T> {
  if (!existsSync(path)) return;
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    try {
      yield JSON.parse(line) as T;
    } catch {
      // A pod killed while writing leaves at most one partial last line.
    }
  }
}

/** The first share line of any pod (the target as the pods saw it), or null. */
export async function firstShareLine(pods: readonly PodFolder[]): Promise<Extract<ShareLine, { kind: 'share' }> | null> {
  for (const p of pods) {
    if (!p.runDir) continue;
    for await (const l of jsonLines<ShareLine>(join(p.runDir, 'shares.jsonl'))) if (l.kind === 'share') return l;
  }
  return null;
}

/** A pod's share line of scenario `suite/scenario` (its clock anchor and target), or null when it never started it; reads `shares.jsonl` only. */
export async function shareLineOf(folder: PodFolder, suite: string, scenario: string): Promise<PodScenario['share'] | null> {
  if (!folder.runDir) return null;
  for await (const l of jsonLines<ShareLine>(join(folder.runDir, 'shares.jsonl'))) if (l.kind === 'share' && l.suite === suite && l.scenario === scenario) return l;
  return null;
}

/**
 * A pod's part of scenario `suite/scenario`, or null when it never started it. `anchor` places
 * the pod's clock anchor on the merge's timeline (default: its own `perfMs`, no shift).
 */
export async function readPodScenario(
  folder: PodFolder,
  suite: string,
  scenario: string,
  anchor: (share: PodScenario['share'], folder: PodFolder) => number = (sh) => sh.clock.perfMs,
): Promise<PodScenario | null> {
  if (!folder.runDir) return null;
  let share: PodScenario['share'] | null = null;
  const stages: PodScenario['stages'] = [];
  for await (const l of jsonLines<ShareLine>(join(folder.runDir, 'shares.jsonl'))) {
    if (l.suite !== suite || l.scenario !== scenario) continue;
    if (l.kind === 'share') share = l;
    else stages.push(l);
  }
  if (!share) return null;
  const stageReports: StageReport[] = [];
  for await (const l of jsonLines<StageReport & { suite: string; scenario: string }>(join(folder.runDir, 'stages.jsonl'))) {
    if (l.suite === suite && l.scenario === scenario) stageReports[l.index] = l;
  }
  let statsLine: ScenarioStatsLine | null = null;
  for await (const l of jsonLines<ScenarioStatsLine>(join(folder.runDir, STATS_FILE))) {
    if (l.kind === 'stats' && l.suite === suite && l.scenario === scenario) statsLine = l;
  }
  const records: RequestRecord[] = [];
  const at = anchor(share, folder);
  const requestsPath = join(folder.runDir, 'requests.jsonl');
  for await (const l of jsonLines<RequestLine>(requestsPath)) {
    if (l.scenario === scenario) records.push(recordFromLine(l, at));
  }
  return { folder, share, stages, stageReports, records, anchorMs: at, statsLine, recordsFile: existsSync(requestsPath) };
}
