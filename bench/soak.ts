/**
 * `npm run soak`: the nightly suite with its controls, 20 times in a row on one simulated cluster
 * in this process (bench/soak/soak.ts). Prints a row per iteration, then what failed.
 * Exit 0 when nothing leaked, no verdict changed and RSS stayed within bounds; 1 otherwise;
 * 2 for a bad flag.
 *
 *   npm run soak -- --iterations 5 --suite smoke --time-scale 20 [--json reports/soak.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseSoakFlags, SoakFlagError } from './soak/flags.ts';
import { judgeSoak, mb } from './soak/judge.ts';
import { soak } from './soak/soak.ts';
import { tableHeader, tableRow } from './soak/table.ts';

let flags;
try {
  flags = parseSoakFlags(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof SoakFlagError)) throw error;
  console.error(error.message);
  process.exit(2);
}
if (typeof globalThis.gc !== 'function') {
  console.error('soak: RSS is measured after a forced GC: run with node --expose-gc (npm run soak does)');
  process.exit(2);
}

console.log(
  `soak: suite ${flags.suite} with controls, ${flags.iterations} iteration(s), one sim at time scale ${flags.timeScale}`,
);
console.log(tableHeader());
const result = await soak({
  iterations: flags.iterations,
  suite: flags.suite,
  timeScale: flags.timeScale,
  onIteration: (it) => console.log(tableRow(it)),
});
const { failures, rssGrowth } = judgeSoak(result.iterations);
const first = result.iterations[0];
const last = result.iterations[result.iterations.length - 1];
console.log(
  `scenarios: ${result.scenarios.join(', ')}; baseline: ${result.baselineEntries} inventory entries; wall ${(result.wallMs / 1000).toFixed(1)} s`,
);
if (first && last) {
  console.log(
    `RSS first ${mb(first.rssBytes)}, last ${mb(last.rssBytes)}${rssGrowth === null ? '' : `, growth from iteration 2 ${(rssGrowth * 100).toFixed(1)}%`}`,
  );
  for (const [name, verdict] of Object.entries(first.verdicts)) console.log(`  ${name}: ${verdict}`);
}
if (flags.json) {
  mkdirSync(dirname(flags.json), { recursive: true });
  writeFileSync(flags.json, `${JSON.stringify({ ...result, failures, rssGrowth }, null, 2)}\n`);
}
if (failures.length) {
  console.log(`soak FAILED (${failures.length}):`);
  for (const f of failures) console.log(`- ${f}`);
  process.exitCode = 1;
} else {
  console.log('soak passed: no leaked objects, no verdict changed, memory within bounds');
}
