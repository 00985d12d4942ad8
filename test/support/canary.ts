/**
 * Canary values and where they must not appear. A secret can leak as itself, JSON-escaped, or
 * encoded: base64 (at any of the three byte alignments it can have inside a longer encoded
 * value, as in a Secret's data), base64url, or hex. `leaks` finds any of those forms of any
 * canary in a text, and `filesUnder` lists what a run wrote, so a test can check every byte.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Shorter fragments would match by chance; every canary here is far longer. */
const MIN_FORM = 16;

export function canaryForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>([value, JSON.stringify(value).slice(1, -1), bytes.toString('hex')]);
  for (let shift = 0; shift < 3; shift++) {
    // The whole base64 groups the canary fills when it starts `shift` bytes into a group.
    const aligned = bytes.subarray((3 - shift) % 3);
    const whole = aligned.subarray(0, aligned.length - (aligned.length % 3));
    forms.add(whole.toString('base64'));
    forms.add(whole.toString('base64url'));
  }
  return [...forms].filter((f) => f.length >= MIN_FORM);
}

/** A distinctive piece of a PEM block: its longest base64 body line (the key itself, not its header). */
export function pemBody(pem: string): string {
  const lines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return lines.reduce((a, b) => (b.length > a.length ? b : a), '');
}

export interface Leak {
  where: string;
  canary: string;
  form: string;
}

/** Every (canary, form) found in `text`; `canaries` maps a label to the secret value. */
export function leaks(where: string, text: string, canaries: Record<string, string>): Leak[] {
  const found: Leak[] = [];
  for (const [canary, value] of Object.entries(canaries)) {
    for (const form of canaryForms(value)) if (text.includes(form)) found.push({ where, canary, form });
  }
  return found;
}

/** Every file under `dir` (recursively), as paths relative to `base`. */
export function filesUnder(dir: string, base = dir): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, base));
    else out.push({ path: relative(base, full), text: readFileSync(full).toString('latin1') });
  }
  return out;
}
