/** The documented shape of report.json (issue "Foundation"): fields other tooling relies on. */
import { z } from 'zod';

const verdict = z.enum(['passed', 'failed', 'inconclusive', 'error']);
const assertion = z.object({
  name: z.string(),
  pass: z.boolean(),
  summary: z.string(),
  evidence: z.array(z.unknown()),
});
const timelineEvent = z.object({
  t: z.number(),
  step: z.string(),
  event: z.string(),
  detail: z.unknown().optional(),
});

export const runReportSchema = z.object({
  tool: z.literal('scars'),
  version: z.string(),
  runId: z.string(),
  provider: z.enum(['sim', 'kind', 'context']),
  simulated: z.boolean(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  scenarios: z.array(
    z.object({
      name: z.string(),
      verdict,
      durationMs: z.number(),
      assertions: z.array(assertion),
      timeline: z.array(timelineEvent),
      control: z.union([z.null(), z.object({ verdict, assertions: z.array(assertion) })]),
    }),
  ),
});
