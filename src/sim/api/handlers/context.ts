import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimClock } from '../../clock.ts';
import type { ResourceType } from '../../kinds/registry.ts';
import type { SimNetwork } from '../../dataplane/pod-network.ts';
import type { PodLogStore } from '../../kubelet/pod-logs.ts';
import type { ResourceRequest, Rendering } from '../request-info.ts';
import type { Registry } from '../rest/registry.ts';

export interface ApiContext {
  registry: Registry;
  clock: SimClock;
  logs: PodLogStore;
  /** Wall milliseconds between BOOKMARK events on watches that allow them. */
  bookmarkIntervalMs: number;
  /** The pod network, for pods/proxy (absent: the proxy cannot reach any pod). */
  network?: SimNetwork;
}

/** One request against a resource URL, after routing. */
export interface ResourceCall {
  ctx: ApiContext;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  info: ResourceRequest;
  resource: ResourceType;
  rendering: Rendering;
  /** The field manager for writes (query `fieldManager`, else derived from the User-Agent). */
  manager: string;
  /** From the query, or from a DeleteOptions body (kubectl --dry-run=server on delete and drain). */
  dryRun: boolean;
}
