/**
 * Image and container identities as containerd reports them in container statuses: the image
 * normalized to its full reference (`nginx` → `docker.io/library/nginx:latest`), an imageID of
 * `repository@sha256:<digest>` (a stable fake digest, since nothing is pulled), and
 * `containerd://<64 hex>` container IDs.
 */
import { createHash } from 'node:crypto';

export interface ImageRef {
  /** What status.image shows: `docker.io/library/nginx:1.25`. */
  image: string;
  /** What status.imageID shows: `docker.io/library/nginx@sha256:…`. */
  imageID: string;
  /** The last path component, a plausible process name (`nginx`). */
  shortName: string;
}

const cache = new Map<string, ImageRef>();

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** docker/distribution reference.ParseNormalizedNamed, as containerd's CRI applies it. */
export function imageRef(image: string): ImageRef {
  const cached = cache.get(image);
  if (cached) return cached;
  let rest = image.trim();
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? rest.slice(slash + 1) : rest;
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const repository = `${domain}/${path}`;
  const shown = digest ? `${repository}@${digest}` : `${repository}:${tag || 'latest'}`;
  const ref: ImageRef = {
    image: tag && digest ? `${repository}:${tag}` : shown,
    imageID: `${repository}@${digest || `sha256:${sha256(shown)}`}`,
    shortName: path.slice(path.lastIndexOf('/') + 1),
  };
  cache.set(image, ref);
  return ref;
}

/** A container ID unique per pod, container and attempt. */
export function containerIdFor(podUid: string, container: string, attempt: number): string {
  return sha256(`${podUid}/${container}/${attempt}`);
}
