/** The soak's per-iteration table, printed a row at a time as iterations finish. */
import type { IterationResult } from './soak.ts';

const COLUMNS = [
  ['iter', 4],
  ['wall s', 7],
  ['verdicts', 28],
  ['leaks', 5],
  ['settled s', 9],
  ['RSS MB', 7],
  ['heap MB', 7],
  ['ext MB', 6],
  ['handles', 7],
  ['events', 6],
] as const;

export function tableHeader(): string {
  return COLUMNS.map(([title, width]) => title.padEnd(width)).join('  ');
}

export function tableRow(it: IterationResult): string {
  const counts = new Map<string, number>();
  for (const v of Object.values(it.verdicts)) {
    const overall = v.split(' ')[0] ?? v;
    counts.set(overall, (counts.get(overall) ?? 0) + 1);
  }
  const verdicts = [...counts].map(([v, n]) => `${n} ${v}`).join(', ') || (it.runError ? 'run error' : '-');
  const cells = [
    String(it.iteration),
    (it.wallMs / 1000).toFixed(1),
    verdicts,
    String(it.differences.length),
    (it.settledAfterMs / 1000).toFixed(0),
    (it.rssBytes / 1024 / 1024).toFixed(1),
    (it.heapUsedBytes / 1024 / 1024).toFixed(1),
    (it.externalBytes / 1024 / 1024).toFixed(1),
    String(it.activeResources),
    String(it.events),
  ];
  return cells.map((c, i) => c.padEnd(COLUMNS[i]?.[1] ?? 0)).join('  ');
}
