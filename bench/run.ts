/**
 * `npm run bench`: figures, printed and written to reports/bench.json, never asserted.
 * `npm run bench -- sim` or `-- harness` runs one group.
 */
import { Figures } from './figures.ts';
import { benchJournal, benchLoad } from './harness.ts';
import { benchSimApi } from './sim/api.ts';

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
figures.print();
figures.write('reports/bench.json');
