/**
 * report.html in the system's headless Chromium, from a real `scars run` on the sim: it opens with
 * no console errors and no network at all, the charts are drawn, the verdict table has a row per
 * scenario, it prints, and hostile report text stays inert. Without /usr/bin/chromium the tests are
 * skipped with the reason, except in CI (CI set), where they fail: .ci/run installs it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { armChart } from '../../src/report/html/chart-data.ts';
import type { RunReport } from '../../src/report/model.ts';
import { chromiumMissing, openFile, type PageCanvas, type PageDocument } from '../../scripts/chromium.ts';
import { type CliResult, cli } from '../support/cli.ts';
import { HOSTILE, sampleReport } from './sample-report.ts';

declare const document: PageDocument;
declare const window: { __pwned?: number };

const missing = chromiumMissing();

function needChromium(ctx: TestContext): void {
  if (!missing) return;
  if (process.env.CI)
    throw new Error(`${missing}; CI must run the browser checks (.ci/run installs chromium)`);
  ctx.skip(missing);
}

/** Width, height and byte size of a PNG (IHDR is the first chunk). */
function pngInfo(buf: Buffer): { width: number; height: number; bytes: number } {
  expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bytes: buf.length };
}

describe('report.html in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scars-html-chromium-'));
  let run: CliResult;
  let report: RunReport;

  beforeAll(async () => {
    run = await cli(['run', '--suite', 'smoke', '--control', '--reporter', 'json,html', '--out', dir]);
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scars run --reporter html writes report.html beside report.json', () => {
    expect([0, 1], run.stderr).toContain(run.code);
    expect(report.scenarios.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain(report.runId);
  });

  it('opens with no console errors and no request but the file; charts drawn; a row per scenario', async (ctx) => {
    needChromium(ctx);
    const file = join(dir, 'report.html');
    const opened = await openFile(file);
    try {
      const { page } = opened;
      const state = await page.evaluate(() => {
        const canvases = Array.from(document.querySelectorAll<PageCanvas>('canvas'));
        // A drawn chart has axes, lines and shading: many non-transparent pixels.
        const inked = canvases.map((c) => {
          const ctx = c.getContext('2d');
          if (!ctx || !c.width || !c.height) return 0;
          const px = ctx.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) n++;
          return n;
        });
        return {
          rows: document.querySelectorAll('table.verdicts tbody tr').length,
          charts: Array.from(document.querySelectorAll('[data-arm-chart]')).map((el) =>
            Number(el.getAttribute('data-rendered') ?? 0),
          ),
          canvases: canvases.length,
          inked,
          simulated: document.querySelector('.pill.sim')?.textContent,
          chartsDrawn: Number(document.documentElement.getAttribute('data-charts')),
        };
      });
      expect(opened.errors).toEqual([]);
      expect(opened.blocked).toEqual([]);
      expect(opened.requested).toEqual([pathToFileURL(file).href]);
      expect(state.rows).toBe(report.scenarios.length);
      const arms = report.scenarios.reduce((n, s) => n + (s.control ? 2 : 1), 0);
      expect(state.charts).toHaveLength(arms);
      // Each arm: its step lane plus one chart per panel of samples it has (the cert-expiry control
      // arm runs no monitor, so it has the lane alone).
      const expected = report.scenarios.flatMap((s) => [s, ...(s.control ? [s.control] : [])]);
      expect(state.charts).toEqual(expected.map((a) => 1 + armChart(a).panels.length));
      expect(state.charts.filter((n) => n >= 2).length).toBeGreaterThanOrEqual(arms - 1);
      expect(state.canvases).toBe(state.chartsDrawn);
      expect(state.canvases).toBe(state.charts.reduce((a, b) => a + b, 0));
      for (const n of state.inked) expect(n).toBeGreaterThan(500);
      expect(state.simulated).toBe('simulated');

      const shot = pngInfo(await page.screenshot());
      expect(shot).toMatchObject({ width: 1400, height: 900 });
      // A blank 1400×900 page is a few KB of PNG; text, tables and charts are far more.
      expect(shot.bytes).toBeGreaterThan(40_000);

      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(20_000);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('hostile report text (<script>, <img onerror>) is shown as text and never runs or loads', async (ctx) => {
    needChromium(ctx);
    const hostileDir = mkdtempSync(join(tmpdir(), 'scars-html-hostile-'));
    try {
      writeFileSync(join(hostileDir, 'report.json'), JSON.stringify(sampleReport({ hostile: true })));
      const r = await cli(['report', 'report.json'], { cwd: hostileDir });
      expect(r.code, r.stderr).toBe(0);
      const opened = await openFile(join(hostileDir, 'report.html'));
      try {
        const state = await opened.page.evaluate(() => ({
          pwned: window.__pwned,
          images: document.images.length,
          description: document.querySelector('section.scenario .scenario-meta')?.textContent,
          heading: document.querySelector('section.scenario h2')?.textContent,
          rendered: document.documentElement.getAttribute('data-charts'),
        }));
        expect(state.pwned).toBeUndefined();
        expect(state.images).toBe(0);
        expect(state.description).toBe(`Kill a replica under load ${HOSTILE}`);
        expect(state.heading).toBe(`pod-kill-availability${HOSTILE}`);
        expect(Number(state.rendered)).toBeGreaterThan(0);
        expect(opened.errors).toEqual([]);
        expect(opened.blocked).toEqual([]);
      } finally {
        await opened.close();
      }
    } finally {
      rmSync(hostileDir, { recursive: true, force: true });
    }
  });
});
