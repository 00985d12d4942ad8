/**
 * Reads a report.json back for `scars report`: checks the fields the HTML renderer relies on, so a
 * wrong or truncated file is one line naming the field (exit 2) rather than a broken page. Extra
 * fields are kept, so reports from a newer scars still render.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { errorMessage, InputError } from '../../errors.ts';
import { toInputError } from '../../harness/validation.ts';
import type { RunReport } from '../model.ts';

const verdict = z.enum(['passed', 'failed', 'inconclusive', 'error'], {
  message: 'expected passed, failed, inconclusive or error',
});
const evidence = z.looseObject({ what: z.string(), ref: z.string().optional(), t: z.number().optional() });
const check = { summary: z.string(), evidence: z.array(evidence) };
const arm = {
  verdict,
  reason: z.string(),
  namespace: z.string(),
  durationMs: z.number(),
  wallMs: z.number(),
  assertions: z.array(z.looseObject({ name: z.string(), pass: z.boolean(), ...check })),
  faults: z.array(
    z.looseObject({ fault: z.string(), description: z.string(), observed: z.boolean(), ...check }),
  ),
  timeline: z.array(
    z.looseObject({
      t: z.number(),
      step: z.string(),
      event: z.string(),
      detail: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  error: z.string().optional(),
  revertFailures: z.array(z.string()),
};

const reportSchema = z.looseObject({
  tool: z.literal('scars', { message: 'expected "scars" (is this a scars report.json?)' }),
  version: z.string(),
  runId: z.string(),
  provider: z.enum(['sim', 'kind', 'context']),
  simulated: z.boolean(),
  cluster: z.looseObject({ name: z.string(), server: z.string() }).nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  interrupted: z.string().nullable(),
  error: z.string().nullable(),
  exitCode: z.number(),
  journal: z.string().nullable(),
  scenarios: z.array(
    z.looseObject({
      name: z.string(),
      file: z.string(),
      description: z.string(),
      tags: z.array(z.string()),
      mitigation: z.string(),
      mainVerdict: verdict,
      ...arm,
      control: z.looseObject({ arm: z.literal('control'), asExpected: z.boolean(), ...arm }).nullable(),
    }),
  ),
});

/** `file` as given on the command line (for messages); `path` resolved. */
export function readRunReport(file: string, path: string): RunReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError({
      file,
      expected: code === 'ENOENT' ? 'no such file' : `cannot read it: ${errorMessage(err)}`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError({ file, expected: `expected report.json (JSON): ${errorMessage(err)}` });
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) throw toInputError(reportSchema, parsed.error, json, file, () => undefined);
  return parsed.data as unknown as RunReport;
}
