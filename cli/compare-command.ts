import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BenchError, ConfigError } from '../lib/errors/index.ts';
import { escapeControl } from '../lib/http/server-text.ts';
import { loadRunSamples } from '../lib/baseline/baseline.ts';
import { formatComparison } from '../lib/baseline/format-comparison.ts';
import { toleranceFromEnv } from '../lib/baseline/tolerance.ts';
import { renderSideBySideHtml, sideBySide } from '../lib/baseline/compare-report.ts';
import { settings } from '../lib/settings/registry.ts';
import type { CliCommand, CliIo } from './command.ts';

const HELP = `Usage: vitest-llm-d compare <run A> <run B> [<run C> ...] [--out DIR]

Compares runs of one suite side by side (targets, models, releases): every metric of every
scenario in each run, and each later run's change against run A with a bootstrap confidence
interval from the raw requests of both runs and a verdict (regression, improvement, unchanged).
A run is a run folder (results/<stamp>-<suite>/) or its summary.json; requests.jsonl must be
beside it.

Writes compare.json and compare.html (self-contained; opens offline) into DIR (default
results/compare-<stamp>/), prints the tables, and exits 1 when a run regressed against A.

  --out DIR   where to write compare.json and compare.html
  -h, --help  this text

BENCH_BASELINE_TOLERANCE sets tolerances (e.g. 0.1 or ttft.p95=0.2,e2e=0.15,0.1).
`;

/** `vitest-llm-d compare A B [C...]`: exit 0 (no regression), 1 (a regression), 2 (bad input). */
export const compareCommand: CliCommand = {
  summary: 'compare runs side by side (HTML and JSON), with a regression verdict against the first',
  async run(argv: string[], io: CliIo): Promise<number> {
    const runs: string[] = [];
    let out: string | undefined;
    try {
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === '--help' || a === '-h') {
          io.out(HELP);
          return 0;
        }
        if (a === '--out' || a.startsWith('--out=')) {
          out = a.includes('=') ? a.slice(6) : argv[++i];
          if (!out) throw new ConfigError('compare', '--out', 'expects a folder');
        } else if (a.startsWith('-')) throw new ConfigError('compare', a, 'unknown option (options: --out DIR, --help)');
        else runs.push(a);
      }
      if (runs.length < 2) throw new ConfigError('compare', '', `two or more run folders are required, got ${runs.length}`);
      const tolerance = toleranceFromEnv(process.env);
      const loaded = [];
      for (const r of runs) loaded.push(await loadRunSamples(r));
      const model = sideBySide(loaded, { tolerance });
      const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
      const dir = resolve(out ?? join(settings(process.env).get('BENCH_RESULTS_DIR'), `compare-${stamp}`));
      // Run folders hold server strings (model names) JSON-escaped; read back, they are shown with control characters escaped.
      for (const c of model.comparisons) io.out(`${escapeControl(formatComparison(c, 80))}\n\n`);
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'compare.json'), `${JSON.stringify(model, null, 2)}\n`);
        writeFileSync(join(dir, 'compare.html'), escapeControl(renderSideBySideHtml(model)));
      } catch (err) {
        io.err(`vitest-llm-d compare: cannot write ${dir}: ${(err as Error).message} (the tables above hold the comparison)\n`);
        return 1;
      }
      io.out(`comparison: ${join(dir, 'compare.html')} (and compare.json)\n`);
      return model.regressions.some((n) => n > 0) ? 1 : 0;
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      io.err(`vitest-llm-d compare: ${err.message}\nRun \`vitest-llm-d compare --help\` for the usage.\n`);
      return 2;
    }
  },
};
