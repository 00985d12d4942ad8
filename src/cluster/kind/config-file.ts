/**
 * A kind cluster config (`kind.x-k8s.io/v1alpha4`), checked before kind is called: kind's own
 * errors come after it has pulled images and started containers, and name no line. Only the
 * fields scars relies on are checked; everything else is kind's to judge.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../errors.ts';
import { locateInYaml } from '../../harness/source-location.ts';
import { parseYamlInput } from '../../harness/yaml-input.ts';

export const KIND_API_VERSION = 'kind.x-k8s.io/v1alpha4';

const nodeSchema = z.looseObject({
  role: z.enum(['control-plane', 'worker'], { message: 'expected control-plane or worker' }),
  image: z.string({ message: 'expected a node image such as kindest/node:v1.32.5@sha256:…' }).optional(),
});

const configSchema = z.looseObject({
  kind: z.literal('Cluster', { message: 'expected "Cluster"' }),
  apiVersion: z.literal(KIND_API_VERSION, { message: `expected "${KIND_API_VERSION}"` }),
  name: z.string({ message: 'expected a cluster name' }).optional(),
  nodes: z
    .array(nodeSchema, { message: 'expected a list of nodes' })
    .min(1, { message: 'expected at least one node' })
    .refine((nodes) => nodes.some((n) => n.role === 'control-plane'), {
      message: 'expected at least one node with role control-plane',
    })
    .optional(),
  networking: z
    .looseObject({
      disableDefaultCNI: z.boolean({ message: 'expected true or false' }).optional(),
    })
    .optional(),
});

export interface KindConfigFile {
  /** Absolute path, as passed to `kind create cluster --config`. */
  path: string;
  /** As the user named it, for messages. */
  shown: string;
  nodes: { role: 'control-plane' | 'worker'; image?: string | undefined }[];
  /** kindnet is off: nodes stay NotReady until a CNI addon is applied. */
  disableDefaultCNI: boolean;
}

export function readKindConfig(file: string, cwd: string): KindConfigFile {
  const path = resolve(cwd, file);
  const shown = relative(cwd, path).startsWith('..') ? path : relative(cwd, path);
  if (!existsSync(path)) throw new InputError({ file: shown, field: '--config', expected: 'file not found' });
  const text = readFileSync(path, 'utf8');
  const raw = parseYamlInput(text, shown);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError({
      file: shown,
      expected: `expected a kind Cluster config (kind: Cluster, apiVersion: ${KIND_API_VERSION})`,
    });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol');
    const line = locateInYaml(text, path);
    throw new InputError({
      file: shown,
      ...(line ? { line } : {}),
      field: path.join('.') || '(document)',
      expected: issue?.message ?? 'invalid',
    });
  }
  return {
    path,
    shown,
    nodes: parsed.data.nodes?.map((n) => ({ role: n.role, image: n.image })) ?? [{ role: 'control-plane' }],
    disableDefaultCNI: parsed.data.networking?.disableDefaultCNI ?? false,
  };
}
