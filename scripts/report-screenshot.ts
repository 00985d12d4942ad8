/**
 * `npm run docs:report-screenshot`: writes docs/report.png, a picture of a real report.html.
 *
 *   npm run docs:report-screenshot                                  # runs the nightly suite on the sim first (~30 s)
 *   npm run docs:report-screenshot -- --from reports/<run>/report.json   # renders an existing report
 *   npm run docs:report-screenshot -- --scenario pod-kill-availability  # which scenario to show (default drain-with-pdb)
 *
 * The picture shows the run header, the verdict table and one scenario's section (main and control
 * arm side by side); the other scenario sections are hidden for it. Needs Debian's chromium.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { renderHtmlReport } from '../src/report/html/index.ts';
import { readRunReport } from '../src/report/html/read-report.ts';
import { chromiumMissing, openFile, type PageDocument } from './chromium.ts';

declare const document: PageDocument;

const repo = resolve(import.meta.dirname, '..');
const OUT = resolve(repo, 'docs/report.png');
const MAX_HEIGHT = 1900;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      scenario: { type: 'string', default: 'drain-with-pdb' },
      out: { type: 'string', default: OUT },
    },
  });
  const missing = chromiumMissing();
  if (missing) {
    process.stderr.write(`docs:report-screenshot: ${missing}\n`);
    return 3;
  }
  const work = mkdtempSync(join(tmpdir(), 'scars-report-shot-'));
  try {
    let reportJson = values.from ? resolve(values.from) : join(work, 'report.json');
    if (!values.from) {
      process.stderr.write(
        'docs:report-screenshot: running `scars run --suite nightly --control` on the sim…\n',
      );
      const r = await execa(
        process.execPath,
        [
          join(repo, 'bin/scars.js'),
          'run',
          '--suite',
          'nightly',
          '--control',
          '--reporter',
          'json',
          '--out',
          work,
        ],
        { cwd: repo, reject: false, stdio: ['ignore', 'ignore', 'inherit'], timeout: 10 * 60_000 },
      );
      if (r.exitCode !== 0 && r.exitCode !== 1) {
        process.stderr.write(`docs:report-screenshot: scars run exited ${String(r.exitCode)}\n`);
        return 3;
      }
      reportJson = join(work, 'report.json');
    }
    const report = readRunReport(reportJson, reportJson);
    const html = join(work, 'report.html');
    writeFileSync(html, renderHtmlReport(report));
    const opened = await openFile(html, { width: 1400, height: 900 });
    try {
      const shown = await opened.page.evaluate((name) => {
        let found = false;
        for (const s of Array.from(document.querySelectorAll('section.scenario'))) {
          const keep = s.querySelector('h2')?.textContent === name;
          found ||= keep;
          if (!keep) s.style.display = 'none';
        }
        return found;
      }, values.scenario);
      if (!shown) {
        process.stderr.write(
          `docs:report-screenshot: --scenario: no section "${values.scenario}" in the report\n`,
        );
        return 2;
      }
      if (opened.errors.length || opened.blocked.length) {
        process.stderr.write(
          `docs:report-screenshot: the page misbehaved: ${[...opened.errors, ...opened.blocked].join('; ')}\n`,
        );
        return 1;
      }
      // The long evidence lists below the charts are cut off: the picture is about the layout.
      const height = await opened.page.evaluate(() => document.documentElement.scrollHeight);
      await opened.page.screenshot({
        path: values.out,
        fullPage: true,
        clip: { x: 0, y: 0, width: 1400, height: Math.min(height, MAX_HEIGHT) },
      });
    } finally {
      await opened.close();
    }
    process.stdout.write(`${values.out}\n`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
