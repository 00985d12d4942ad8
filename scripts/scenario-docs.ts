/**
 * `npm run docs:scenarios`: writes docs/scenarios.md from the scenario files (formatted with the
 * repo's prettier settings, so `npm run lint` accepts it). `--check` exits 1 when the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { AGENT_IMAGE_NAME } from '../src/agent/image.ts';
import { loadScenarios } from '../src/harness/scenario-loader.ts';
import { scenarioCatalogue } from '../src/report/scenario-catalogue.ts';
import { VERSION } from '../src/version.ts';

const repo = resolve(import.meta.dirname, '..');
export const CATALOGUE = resolve(repo, 'docs/scenarios.md');

export async function renderCatalogue(): Promise<string> {
  const scenarios = await loadScenarios(['scenarios'], repo);
  const text = scenarioCatalogue(scenarios, `${AGENT_IMAGE_NAME}:${VERSION}`);
  return format(text, { ...(await resolveConfig(CATALOGUE)), filepath: CATALOGUE });
}

if (process.argv[1] === import.meta.filename) {
  const text = await renderCatalogue();
  if (process.argv.includes('--check')) {
    const current = readFileSync(CATALOGUE, 'utf8');
    if (current !== text) {
      console.error(`${CATALOGUE} is stale: run \`npm run docs:scenarios\``);
      process.exit(1);
    }
  } else {
    writeFileSync(CATALOGUE, text);
    console.log(`wrote ${CATALOGUE}`);
  }
}
