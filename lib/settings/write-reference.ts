/** `npm run docs:settings`: writes `docs/settings.md` from the registry. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { REFERENCE_PAGE, renderSettingsReference } from './reference.ts';

const path = resolve(import.meta.dirname, '../..', REFERENCE_PAGE);
mkdirSync(dirname(path), { recursive: true });
writeFileSync(path, renderSettingsReference());
process.stdout.write(`wrote ${REFERENCE_PAGE}\n`);
