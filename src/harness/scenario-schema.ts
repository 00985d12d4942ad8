/**
 * The shape a scenario file's default export must have. Types come from scenario.ts; this schema
 * checks the object at load time so a broken file fails with file, line and field, before any cluster.
 */
import { z } from 'zod';
import { isDuration } from './duration.ts';
import { STEPS } from './scenario.ts';

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: `expected ${what}` });

export const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const name = z
  .string({ message: 'expected a name' })
  .regex(NAME_RE, { message: 'expected lowercase letters, digits and dashes (like "pod-kill")' })
  .max(50, { message: 'expected at most 50 characters' });

export const durationSchema = z.custom<string | number>(isDuration, {
  message: 'expected a duration like "30s", "2m", "1m30s" or a number of milliseconds',
});

const manifest = z.looseObject({
  apiVersion: z.string({ message: 'expected an apiVersion such as "apps/v1"' }).min(1),
  kind: z.string({ message: 'expected a kind such as "Deployment"' }).min(1),
  metadata: z.looseObject({
    name: z.string({ message: 'expected metadata.name' }).min(1, { message: 'expected a non-empty name' }),
  }),
});

const workloadSource = z.union([manifest, fn('a manifest object or a function returning manifests')], {
  message:
    'expected a manifest object ({ apiVersion, kind, metadata: { name } }) or a function returning manifests',
});

const fault = z.looseObject({
  name: z.string({ message: 'expected the fault to have a name' }),
  describe: fn('describe(ctx): a one-line description of the fault'),
  inject: fn('inject(ctx): an async function that injects the fault'),
  observe: fn('observe(ctx): an async function returning evidence that the fault took effect'),
});

const observer = z.looseObject({
  name: z.string({ message: 'expected the observer to have a name' }),
  describe: fn('describe(ctx)'),
  start: fn('start(ctx): an async function returning { stop() }'),
});

const assertion = z.looseObject({
  name: z.string({ message: 'expected the assertion to have a name' }),
  evaluate: fn('evaluate(input): a pure function returning { pass, summary, evidence }'),
});

const steadyState = z.looseObject({
  name: z.string({ message: 'expected the check to have a name' }),
  check: fn('check(ctx): an async function returning { ok, summary }'),
});

const stepTimeouts = z.strictObject(Object.fromEntries(STEPS.map((s) => [s, durationSchema.optional()])));

export const scenarioSchema = z.strictObject({
  name,
  description: z.string({ message: 'expected a description (one or two sentences)' }).min(1, {
    message: 'expected a non-empty description',
  }),
  runbook: z
    .strictObject(
      {
        hypothesis: z.string().min(1),
        blastRadius: z.string().min(1),
        expected: z.string().min(1),
        watch: z.array(z.string()).optional(),
        abort: z.array(z.string()).optional(),
      },
      { message: 'expected { hypothesis, blastRadius, expected, watch?, abort? }' },
    )
    .optional(),
  tags: z.array(z.string(), { message: 'expected a list of tags' }).optional(),
  suites: z.array(name, { message: 'expected a list of suite names' }).optional(),
  workloads: z
    .array(workloadSource, { message: 'expected a list of manifests or builder functions' })
    .min(1, { message: 'expected at least one workload' }),
  mitigation: z.strictObject(
    {
      description: z.string({ message: 'expected what the mitigation does' }).min(1),
      manifests: z.array(workloadSource, { message: 'expected a list of manifests' }).optional(),
      apply: fn('apply(workloads, ctx): a function returning the mitigated workloads').optional(),
    },
    {
      message:
        'expected { description, manifests?, apply? }: what the main arm adds and the control arm leaves out',
    },
  ),
  fault: z.union([fault, z.array(fault).min(1)], {
    message: 'expected a fault ({ name, describe, inject, observe }) or a list of them',
  }),
  observers: z.array(observer).optional(),
  steadyState: z.array(steadyState).optional(),
  expect: z
    .array(assertion, { message: 'expected a list of assertions' })
    .min(1, { message: 'expected at least one assertion' }),
  hold: durationSchema.optional(),
  settle: durationSchema.optional(),
  timeouts: stepTimeouts.optional(),
  namespaces: z.array(z.string()).optional(),
  nodes: z
    .union([z.literal('any'), z.array(z.string())], { message: 'expected "any" or a list of node names' })
    .optional(),
  control: z
    .union([z.boolean(), z.strictObject({ description: z.string().optional() })], {
      message: 'expected true, false or { description }',
    })
    .optional(),
  hooks: z
    .strictObject({
      afterDeploy: fn('an async function').optional(),
      beforeInject: fn('an async function').optional(),
      afterInject: fn('an async function').optional(),
      afterRevert: fn('an async function').optional(),
    })
    .optional(),
});
