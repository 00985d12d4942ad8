import { readFileSync } from 'node:fs';

/** scars' own version, from package.json (reports and journals carry it). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
