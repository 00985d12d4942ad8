/**
 * The files report.html inlines: uPlot's IIFE build and CSS (from node_modules, so the page needs
 * no network when it is opened), and the report's own script and styles next to this module.
 * Read once per process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface ReportAssets {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
  css: string;
}

let cached: ReportAssets | undefined;

export function reportAssets(): ReportAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const read = (file: string | URL) => readFileSync(file, 'utf8');
  cached = {
    uplotJs: read(require.resolve('uplot/dist/uPlot.iife.min.js')),
    uplotCss: read(require.resolve('uplot/dist/uPlot.min.css')),
    clientJs: read(new URL('./client.js', import.meta.url)),
    css: read(new URL('./report.css', import.meta.url)),
  };
  return cached;
}
