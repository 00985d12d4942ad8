/**
 * How objects leave the server: plain JSON, lists with continue tokens, Tables for kubectl get,
 * and PartialObjectMetadata for metadata-only clients.
 */
import type { ResourceType } from '../kinds/registry.ts';
import { viewOf } from '../kinds/views.ts';
import type { KubeObject } from '../object.ts';
import { badRequest } from './rest/status.ts';
import { tableCells, tableColumns } from './tables/index.ts';

export interface ContinueToken {
  rv: number;
  start: string;
}

/** The apiserver's token: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}. */
export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString(
    'base64',
  );
}

export function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      v?: string;
      rv?: number;
      start?: string;
    };
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.start !== 'string' || typeof parsed.rv !== 'number')
      throw new Error();
    const start = parsed.start.endsWith('\u0000') ? parsed.start.slice(0, -1) : parsed.start;
    return { rv: parsed.rv, start };
  } catch {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export function partialMetadata(obj: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function tableOf(
  r: ResourceType,
  items: readonly KubeObject[],
  meta: ListMeta,
  now: number,
  includeObject: string | null,
  withColumns = true,
): Record<string, unknown> {
  // The apiserver prints from the internal version, so every served version of a kind prints alike:
  // views print through their storage's printer.
  const view = viewOf(r);
  const printed = view ? view.storage : r;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    ...(withColumns ? { columnDefinitions: tableColumns(printed) } : { columnDefinitions: null }),
    rows: items.map((obj) => ({
      cells: tableCells(printed, view ? view.toStorage(obj) : obj, now),
      object: includeObject === 'None' ? undefined : includeObject === 'Object' ? obj : partialMetadata(obj),
    })),
  };
}

export function listOf(
  r: ResourceType,
  items: readonly KubeObject[],
  meta: ListMeta,
): Record<string, unknown> {
  return { kind: r.listKind, apiVersion: r.apiVersion, metadata: meta, items };
}
