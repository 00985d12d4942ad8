/**
 * The simulated API server's HTTP front: routes discovery, OpenAPI, health and resource URLs,
 * and turns every failure into a Kubernetes Status.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { RESOURCES, resourceAt } from '../kinds/registry.ts';
import { acceptsOpenApiV2Protobuf, OPENAPI_V2_PROTOBUF, openApiV2Protobuf } from './protobuf/openapi-v2.ts';
import {
  aggregatedDiscovery,
  aggregatedDiscoveryVersion,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.ts';
import { servedVersion, type ServedVersion } from './served-version.ts';
import type { ApiContext, ResourceCall } from './handlers/context.ts';
import { bind } from './handlers/binding.ts';
import { evict } from './handlers/eviction.ts';
import { podLog } from './handlers/log.ts';
import {
  checkDryRun,
  create,
  get,
  list,
  patch,
  remove,
  removeCollection,
  update,
} from './handlers/objects.ts';
import { podProxy } from './handlers/proxy.ts';
import { scale } from './handlers/scale.ts';
import { watch } from './handlers/watch.ts';
import type { ApiFaults } from './faults.ts';
import type { ApiAudit } from './audit.ts';
import { boolParam, sendError, sendJson } from './http.ts';
import { openApiV3Document, openApiV3Index } from './openapi.ts';
import { managerFromUserAgent } from './patch/server-side-apply.ts';
import { parseResourcePath, renderingFor } from './request-info.ts';
import { ApiError, internalError, methodNotAllowed, notFoundPath } from './rest/status.ts';

export interface ApiServerOptions {
  host?: string;
  port?: number;
  tls?: { key: string; cert: string };
  /** The Kubernetes release presented: /version, and which API versions are served (default 1.32). */
  served?: ServedVersion;
  /** Faults the server injects into its own answers (faults.ts). */
  faults?: ApiFaults;
  /** Receives every request once answered (audit.ts). */
  audit?: ApiAudit;
}

export interface RunningApiServer {
  server: Server;
  url: string;
  port: number;
  /** Cuts every open connection (watches included), as an apiserver restart or a network blip would. */
  dropConnections(): void;
  /** Stops listening and cuts every connection (an apiserver going down); resolves with how many were cut. */
  suspend(): Promise<number>;
  /** Listens again on the same host and port (no-op once closed). */
  resume(): Promise<void>;
  close(): Promise<void>;
}

type Handler = (call: ResourceCall) => void | Promise<void>;

let openApiV2: Buffer | undefined;

function handlerFor(call: ResourceCall): Handler {
  const method = call.req.method ?? 'GET';
  const { name, subresource } = call.info;
  const r = call.resource;
  if (subresource) {
    const known = r.subresources.find((s) => s.name === subresource);
    if (!known) throw notFoundPath();
    switch (subresource) {
      case 'eviction':
        if (method !== 'POST') throw methodNotAllowed();
        return evict;
      case 'binding':
        if (method !== 'POST') throw methodNotAllowed();
        return bind;
      case 'log':
        if (method !== 'GET') throw methodNotAllowed();
        return podLog;
      case 'proxy':
        return podProxy;
      case 'scale':
        if (!['GET', 'PUT', 'PATCH'].includes(method)) throw methodNotAllowed();
        return scale;
      case 'status':
      case 'finalize':
        if (method === 'GET') return get;
        if (method === 'PUT') return update;
        if (method === 'PATCH') return patch;
        throw methodNotAllowed();
      default:
        throw notFoundPath();
    }
  }
  if (r.kind === 'Binding') {
    if (method !== 'POST' || name) throw methodNotAllowed();
    return bind;
  }
  const allowed = (verb: string) => {
    if (!r.verbs.includes(verb as never)) throw methodNotAllowed();
  };
  switch (method) {
    case 'GET':
      if (name) return (allowed('get'), get);
      if (boolParam(call.query, 'watch')) return (allowed('watch'), watch);
      return (allowed('list'), list);
    case 'POST':
      if (name) throw methodNotAllowed();
      return (allowed('create'), create);
    case 'PUT':
      if (!name) throw methodNotAllowed();
      return (allowed('update'), update);
    case 'PATCH':
      if (!name) throw methodNotAllowed();
      return (allowed('patch'), patch);
    case 'DELETE':
      if (name) return (allowed('delete'), remove);
      return (allowed('deletecollection'), removeCollection);
    default:
      throw methodNotAllowed();
  }
}

/** Non-resource paths: version, health, discovery and OpenAPI. False when `path` is none of them. */
function serveDiscovery(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  serverAddress: string,
  served: ServedVersion,
): boolean {
  const accept = req.headers.accept;
  const aggregated = aggregatedDiscoveryVersion(accept);
  const parts = path.split('/').filter(Boolean);
  if (path === '/version' || path === '/version/') return (sendJson(res, 200, served.info), true);
  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
    return true;
  }
  if (path === '/api' || path === '/apis') {
    if (aggregated) {
      const type = `application/json;g=apidiscovery.k8s.io;v=${aggregated};as=APIGroupDiscoveryList`;
      sendJson(res, 200, aggregatedDiscovery(path === '/api', aggregated, served.serves), type);
    } else {
      sendJson(res, 200, path === '/api' ? apiVersions(serverAddress) : apiGroupList(served.serves));
    }
    return true;
  }
  if (parts[0] === 'api' && parts.length === 2) {
    const doc = apiResourceList('', parts[1] as string, served.serves);
    if (!doc) throw notFoundPath();
    return (sendJson(res, 200, doc), true);
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const doc = apiGroup(parts[1] as string, served.serves);
    if (!doc) throw notFoundPath();
    return (sendJson(res, 200, doc), true);
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const doc = apiResourceList(parts[1] as string, parts[2] as string, served.serves);
    if (!doc) throw notFoundPath();
    return (sendJson(res, 200, doc), true);
  }
  if (path === '/openapi/v3') return (sendJson(res, 200, openApiV3Index()), true);
  if (path.startsWith('/openapi/v3/')) {
    const doc = openApiV3Document(path.slice('/openapi/v3/'.length));
    if (!doc) throw notFoundPath();
    return (sendJson(res, 200, doc), true);
  }
  if (path === '/openapi/v2') {
    // Only the protobuf form exists: kubectl 1.27 and 1.28 need it for `create -f`/`apply -f`.
    if (!acceptsOpenApiV2Protobuf(accept)) throw notFoundPath();
    const body = (openApiV2 ??= openApiV2Protobuf(RESOURCES));
    res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF, 'Content-Length': body.length }).end(body);
    return true;
  }
  return false;
}

export function apiRequestListener(
  ctx: ApiContext,
  serverAddress: () => string,
  served: ServedVersion = servedVersion(),
  faults?: ApiFaults,
  audit?: ApiAudit,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    audit?.track(req, res);
    if (faults?.intercept(req, res)) return;
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      const path = url.pathname.replace(/\/+$/, '') || '/';
      if (serveDiscovery(req, res, path, serverAddress(), served)) return;
      const info = parseResourcePath(path);
      const resource = info ? resourceAt(info.apiVersion, info.plural) : undefined;
      // A version the release stopped serving answers 404, as kube-apiserver does after a removal.
      if (!info || !resource || !served.serves(resource)) throw notFoundPath();
      if (!resource.namespaced && info.namespace !== undefined && info.plural !== 'namespaces')
        throw notFoundPath();
      const dryRun = url.searchParams.getAll('dryRun');
      checkDryRun(dryRun);
      const call: ResourceCall = {
        ctx,
        req,
        res,
        query: url.searchParams,
        info,
        resource,
        rendering: renderingFor(req.headers.accept),
        manager: url.searchParams.get('fieldManager') ?? managerFromUserAgent(req.headers['user-agent']),
        dryRun: dryRun.length > 0,
      };
      await handlerFor(call)(call);
    } catch (error) {
      const apiError =
        error instanceof ApiError
          ? error
          : internalError(error instanceof Error ? error.message : String(error));
      if (!(error instanceof ApiError)) console.error('scars sim: internal error:', error);
      if (res.headersSent) res.destroy();
      else sendError(res, apiError);
    }
  };
}

export async function startApiServer(
  ctx: ApiContext,
  options: ApiServerOptions = {},
): Promise<RunningApiServer> {
  const host = options.host ?? '127.0.0.1';
  let url = '';
  const listener = apiRequestListener(
    ctx,
    () => new URL(url).host,
    options.served,
    options.faults,
    options.audit,
  );
  const server = options.tls
    ? createHttpsServer(
        { key: options.tls.key, cert: options.tls.cert },
        (req, res) => void listener(req, res),
      )
    : createHttpServer((req, res) => void listener(req, res));
  server.keepAliveTimeout = 60_000;
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    url,
    port,
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    suspend: () =>
      new Promise<number>((resolve) => {
        const cut = sockets.size;
        if (!server.listening) return resolve(0);
        server.close(() => resolve(cut));
        for (const s of sockets) s.destroy();
      }),
    resume: async () => {
      // The port was ours a moment ago; another process may hold it briefly (TIME_WAIT does not
      // block a listener, but a racing bind can), so try again for a few wall seconds.
      for (let attempt = 1; !closed && !server.listening; attempt++) {
        try {
          await listen(port);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 40) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      // Closed while the listen was under way: do not outlive close().
      if (closed && server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        // Watches and log follows hold connections open; closing the server alone would wait for them.
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
