/**
 * `npm run bench`: figures, printed and written to reports/bench.json, never asserted.
 * `npm run bench -- sim`, `-- sim-scale`, `-- harness`, `-- agent`, `-- dataplane` or `-- scenarios` runs one group.
 */
import { Figures } from './figures.ts';
import { benchAgent } from './agent.ts';
import { benchScenarios } from './scenarios.ts';
import { benchJournal, benchLoad } from './harness.ts';
import { benchSimApi } from './sim/api.ts';
import { benchSimDataPlane } from './sim/dataplane.ts';
import { benchSimScale } from './sim/scale.ts';

const only = process.argv[2];
const figures = new Figures();
if (!only || only === 'harness') {
  console.log('harness');
  benchJournal(figures);
  await benchLoad(figures);
}
if (!only || only === 'sim') {
  console.log('sim API server');
  await benchSimApi(figures);
}
if (!only || only === 'sim-scale') {
  console.log('sim at scale (1,000 nodes, 100,000 pods)');
  await benchSimScale(figures);
}
if (!only || only === 'agent') {
  console.log('agent (loopback only) and agent pods in the sim');
  await benchAgent(figures);
}
if (!only || only === 'dataplane') {
  console.log('sim data plane (Service frontends, cluster DNS)');
  await benchSimDataPlane(figures);
}
if (!only || only === 'scenarios') {
  console.log('built-in scenarios with their controls (sim)');
  await benchScenarios(figures);
}
figures.print();
figures.write('reports/bench.json');
