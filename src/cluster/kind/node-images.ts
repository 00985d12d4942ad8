/**
 * The kindest/node image for a Kubernetes minor version, from clusters/kind/node-images.yaml (a
 * table copied from kind's release notes, digests included). `--k8s-version` takes `1.NN`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError, UsageError } from '../../errors.ts';

export const NODE_IMAGES_FILE = fileURLToPath(
  new URL('../../../clusters/kind/node-images.yaml', import.meta.url),
);

const VERSION_RE = /^1\.\d{1,2}$/;
const IMAGE_RE = /^kindest\/node:v(1\.\d+)\.\d+@sha256:[0-9a-f]{64}$/;

const tableSchema = z.strictObject({
  versions: z.record(
    z.string().regex(VERSION_RE),
    z.strictObject({
      image: z.string().regex(IMAGE_RE, { message: 'expected kindest/node:v1.NN.P@sha256:<64 hex digits>' }),
      kind: z.string().regex(/^v0\.\d+\.\d+$/, { message: 'expected the kind release, such as v0.29.0' }),
    }),
  ),
});

export interface NodeImage {
  /** `1.NN` */
  version: string;
  /** `kindest/node:v1.NN.P@sha256:…`, digest-pinned. */
  image: string;
  /** The kind release that built the image (and supports it). */
  kind: string;
}

export function loadNodeImages(file = NODE_IMAGES_FILE): NodeImage[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError({ file, expected: `not readable YAML: ${(err as Error).message.split('\n')[0]}` });
  }
  const parsed = tableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError({ file, field: issue?.path.join('.') ?? '', expected: issue?.message ?? 'invalid' });
  }
  const images = Object.entries(parsed.data.versions).map(([version, row]) => ({ version, ...row }));
  for (const row of images) {
    const tagged = IMAGE_RE.exec(row.image)?.[1];
    if (tagged !== row.version)
      throw new InputError({
        file,
        field: `versions.${row.version}.image`,
        expected: `an image of ${row.version}, got ${row.image}`,
      });
  }
  return images.sort((a, b) => minor(b.version) - minor(a.version));
}

/** The image for `--k8s-version`; a malformed or unknown version is bad input listing the known ones. */
export function nodeImageFor(version: string, images: NodeImage[] = loadNodeImages()): NodeImage {
  const known = images.map((i) => i.version).join(', ');
  const wanted = version.replace(/^v/, '');
  if (!VERSION_RE.test(wanted))
    throw new UsageError(
      `--k8s-version: expected a Kubernetes minor version such as 1.32, got "${version}"; known: ${known}`,
    );
  const found = images.find((i) => i.version === wanted);
  if (!found)
    throw new UsageError(
      `--k8s-version: no kind node image for Kubernetes ${wanted} in clusters/kind/node-images.yaml; known: ${known}`,
    );
  return found;
}

/** `1.32` from `kindest/node:v1.32.5@sha256:…` (or any `…:v1.NN.P` tag), else undefined. */
export function imageVersion(image: string): string | undefined {
  return /:v(1\.\d+)\.\d+/.exec(image)?.[1];
}

function minor(version: string): number {
  return Number(version.split('.')[1]);
}
