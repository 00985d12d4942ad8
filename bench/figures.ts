/**
 * Benchmark figures: printed as a table and merged into reports/bench.json as
 * `[ { name, value, unit, goal } ]` (later benchmarks add their own names to the same file).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The target, as text (`≥ 2000`), or null when there is none. */
  goal: string | null;
}

export class Figures {
  readonly all: Figure[] = [];

  add(name: string, value: number, unit: string, goal: string | null = null): void {
    const figure = { name, value: Number(value.toPrecision(4)), unit, goal };
    this.all.push(figure);
    console.log(`  ${name}: ${figure.value} ${unit}${goal ? `  (goal ${goal})` : ''}`);
  }

  print(): void {
    const rows = this.all.map((f) => [f.name, `${f.value} ${f.unit}`, f.goal ?? '']);
    const widths = [0, 1, 2].map((i) =>
      Math.max(...rows.map((r) => (r[i] as string).length), ['figure', 'value', 'goal'][i]?.length ?? 0),
    );
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
    console.log(`\n${line(['figure', 'value', 'goal'])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
    for (const r of rows) console.log(line(r));
  }

  /** Replaces figures of the same name and keeps the others. */
  write(path: string): void {
    const previous: Figure[] = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Figure[]) : [];
    const names = new Set(this.all.map((f) => f.name));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      `${JSON.stringify([...previous.filter((f) => !names.has(f.name)), ...this.all], null, 2)}\n`,
    );
    console.log(`\nwrote ${path}`);
  }
}
