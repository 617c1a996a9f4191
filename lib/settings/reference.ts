/**
 * The settings reference page, `docs/settings.md`, rendered from the registry: one table per
 * area with each variable's type, default, meaning and where it applies. `npm run docs:settings`
 * writes it; a test fails when the page is not current.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS, type SettingName } from './registry.ts';
import type { Setting, SettingArea } from './setting.ts';

/** Where the page lives, relative to the project root. */
export const REFERENCE_PAGE = 'docs/settings.md';

/** Area headings, in page order. */
const AREAS: ReadonlyArray<[SettingArea, string]> = [
  ['target', 'Target'],
  ['scenarios', 'Scenarios'],
  ['prefix cache', 'Prefix cache'],
  ['server metrics', 'Server and GPU metrics'],
  ['cluster', 'Cluster'],
  ['provisioning', 'Provisioning a stack'],
  ['actuation', 'Actuation'],
  ['results', 'Results and the regression gate'],
  ['publishing', 'Publishing to S3'],
  ['distributed', 'Distributed runs (set by the tool)'],
  ['hooks', 'Hook commands (set by the tool)'],
  ['tool', "The client's own benchmark"],
];

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function defaultOf(s: Setting): string {
  if (s.defaultText !== undefined) return s.defaultText;
  if (s.default === undefined) return '';
  return `\`${String(s.default)}\``;
}

/** The page's Markdown. */
export function renderSettingsReference(): string {
  const names = Object.keys(SETTINGS) as SettingName[];
  const out = [
    '# Settings',
    '',
    '<!-- Generated from lib/settings by `npm run docs:settings`; edit the declarations there, not this page. -->',
    '',
    `Every environment variable vitest-llm-d reads (${names.length}), declared once in \`lib/settings/\` and read only through it.`,
    'Unset or empty means "not set". A bad value stops the run with one line naming the variable,',
    'e.g. `env: BENCH_CONCURRENCY: expected a positive integer, got "abc"`. Variables marked *set by the tool* are',
    'wiring between the processes of one run (pods, hooks, children), listed so that every variable involved is here.',
    "A target's API key is read from the variable its `api_key_env` names (e.g. `OPENAI_API_KEY`), so it is not listed.",
    '',
  ];
  for (const [area, title] of AREAS) {
    const inArea = names.filter((n) => SETTINGS[n].area === area);
    if (inArea.length === 0) continue;
    out.push(`## ${title}`, '', '| variable | type | default | meaning | applies to |', '| --- | --- | --- | --- | --- |');
    for (const name of inArea) {
      const s = SETTINGS[name] as Setting;
      const applies = s.setByTool ? `${s.appliesTo}; *set by the tool*` : s.appliesTo;
      out.push(`| \`${name}\` | ${cell(s.kind.type)} | ${cell(defaultOf(s))} | ${cell(s.meaning)} | ${cell(applies)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** Writes the page under `root` (the project folder). */
export function writeSettingsReference(root: string): void {
  const path = resolve(root, REFERENCE_PAGE);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderSettingsReference());
}

// `npm run docs:settings` runs this file.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeSettingsReference(resolve(import.meta.dirname, '../..'));
  process.stdout.write(`wrote ${REFERENCE_PAGE}\n`);
}
