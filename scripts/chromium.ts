/**
 * Opens a local HTML file in the system's headless Chromium (Debian's `chromium`, never a browser
 * Playwright would download) with no network: every request that is not the file itself is
 * aborted and recorded, so callers can assert none was attempted. Used by the HTML report test
 * and by `npm run docs:report-screenshot`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SCARS_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set SCARS_CHROMIUM`;
}

export interface OpenedPage {
  page: Page;
  /** Console errors, uncaught page errors and failed loads, in order. */
  errors: string[];
  /** Requests for anything but the opened file (all aborted). */
  blocked: string[];
  /** Every URL the page requested. */
  requested: string[];
  close(): Promise<void>;
}

export async function openFile(
  file: string,
  viewport: { width: number; height: number } = { width: 1400, height: 900 },
): Promise<OpenedPage> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const profile = mkdtempSync(join(tmpdir(), 'scars-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport,
      offline: true,
      timeout: 60_000,
    });
    const url = pathToFileURL(file).href;
    const errors: string[] = [];
    const blocked: string[] = [];
    const requested: string[] = [];
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      blocked.push(u);
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => {
      requested.push(r.url());
      if (r.url() !== url && !r.url().startsWith('data:') && !blocked.includes(r.url()))
        blocked.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
    page.on('requestfailed', (r) =>
      errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
    );
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    const ctx = context;
    return {
      page,
      errors,
      blocked,
      requested,
      close: async () => {
        await ctx.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The DOM members that callbacks passed to `page.evaluate` use. They run in Chromium, but the
 * project compiles without the DOM lib (Node code must not see `document`), so files that
 * evaluate in the page declare `document` with this type at module scope.
 */
export interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  style: { display: string };
}

export interface PageCanvas extends PageElement {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  } | null;
}

export interface PageDocument {
  querySelectorAll<T extends PageElement = PageElement>(selector: string): ArrayLike<T>;
  querySelector(selector: string): PageElement | null;
  documentElement: PageElement & { scrollHeight: number };
  images: ArrayLike<unknown>;
}
