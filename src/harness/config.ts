/**
 * One config file: `scars.config.ts` (export default defineConfig({...})) or `scars.config.yaml`.
 * Parse → default → validate, each failure one line with file, line and field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { errorMessage, InputError } from '../errors.ts';
import { AGENT_IMAGE_NAME, isAgentImage } from '../agent/image.ts';
import { VERSION } from '../version.ts';
import { LOAD_ENGINES, STEPS } from './scenario.ts';
import { displayPath } from './scenario-loader.ts';
import { durationSchema, NAME_RE } from './scenario-schema.ts';
import { locateInTypeScript, locateInYaml } from './source-location.ts';
import { toInputError } from './validation.ts';
import { parseYamlInput } from './yaml-input.ts';

export const PROVIDERS = ['sim', 'kind', 'context'] as const;
export const REPORTERS = ['console', 'json', 'junit', 'html'] as const;
export type ReporterName = (typeof REPORTERS)[number];

export const configSchema = z.strictObject({
  provider: z.enum(PROVIDERS, { message: `expected one of ${PROVIDERS.join(', ')}` }).default('sim'),
  scenarioDirs: z.array(z.string(), { message: 'expected a list of folders' }).default(['scenarios']),
  defaultSuite: z.string().regex(NAME_RE, { message: 'expected a suite name' }).default('default'),
  suites: z
    .record(z.string().regex(NAME_RE, { message: 'expected a suite name' }), z.array(z.string()), {
      message: 'expected suite name → list of scenario names',
    })
    .default({}),
  reporters: z
    .array(z.enum(REPORTERS, { message: `expected one of ${REPORTERS.join(', ')}` }))
    .default(['console', 'json', 'junit']),
  out: z.string({ message: 'expected a folder for reports' }).default('reports'),
  journalDir: z.string().default('.scars/journal'),
  /** Contexts the `context` provider may use even though their server is not local. */
  allowContexts: z.array(z.string(), { message: 'expected a list of kubeconfig context names' }).default([]),
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  timeouts: z.strictObject(Object.fromEntries(STEPS.map((s) => [s, durationSchema.optional()]))).default({}),
  /** Load engine for load observers: auto (k6 when on PATH, else built-in), k6, builtin. */
  load: z.enum(LOAD_ENGINES, { message: `expected one of ${LOAD_ENGINES.join(', ')}` }).default('auto'),
  /** The simulated cluster (provider sim). */
  sim: z
    .strictObject({
      topology: z
        .string({ message: 'expected a topology file or name, such as "memory-pressure"' })
        .optional(),
      timeScale: z
        .number({ message: 'expected simulated seconds per wall second, such as 10' })
        .positive({ message: 'expected a number > 0' })
        .max(10_000, { message: 'expected at most 10000' })
        .optional(),
    })
    .default({}),
  /** The agent image scenarios deploy (kind and real clusters pull it; the sim runs it in-process). */
  agent: z
    .strictObject({
      image: z
        .string()
        .refine(isAgentImage, {
          message: `expected an image named ${AGENT_IMAGE_NAME} (any registry and tag), such as ghcr.io/acme/${AGENT_IMAGE_NAME}:${VERSION}`,
        })
        .default(`${AGENT_IMAGE_NAME}:${VERSION}`),
    })
    .default({ image: `${AGENT_IMAGE_NAME}:${VERSION}` }),
});

export type ScarsConfigInput = z.input<typeof configSchema>;
export type ScarsConfig = z.output<typeof configSchema> & { file?: string };

export function defineConfig(config: ScarsConfigInput): ScarsConfigInput {
  return config;
}

export const CONFIG_FILES = ['scars.config.ts', 'scars.config.mts', 'scars.config.yaml', 'scars.config.yml'];

export function defaultConfig(): ScarsConfig {
  return configSchema.parse({});
}

export async function loadConfig(explicit: string | undefined, cwd = process.cwd()): Promise<ScarsConfig> {
  const file = explicit
    ? resolve(cwd, explicit)
    : CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  if (!file) return defaultConfig();
  const shown = displayPath(file, cwd);
  if (!existsSync(file)) throw new InputError({ file: shown, expected: 'config file not found' });

  let raw: unknown;
  let locate: (path: (string | number)[]) => number | undefined;
  if (/\.ya?ml$/.test(file)) {
    const text = readFileSync(file, 'utf8');
    raw = parseYamlInput(text, shown) ?? {};
    locate = (path) => locateInYaml(text, path);
  } else {
    try {
      raw = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    } catch (err) {
      throw new InputError({ file: shown, expected: `could not load: ${errorMessage(err).split('\n')[0]}` });
    }
    locate = (path) => locateInTypeScript(file, path, ['defineConfig']);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError({
      file: shown,
      expected: 'expected a config object (provider, suites, reporters, ...)',
    });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw toInputError(configSchema, parsed.error, raw, shown, locate);
  return { ...parsed.data, file: shown };
}
