/**
 * The API server's audit trail, shaped like kube-apiserver's audit events (audit.k8s.io/v1
 * `Event`: verb, objectRef, userAgent, responseStatus.code) but handed to in-process listeners
 * instead of a log backend. Tests use it to see every request a client made — the blast-radius
 * audit of the built-in scenarios records every mutation scars sends.
 *
 * Only HTTP requests are audited: the sim's own controllers, scheduler and kubelets write to the
 * store in-process, so what arrives here came from a client (scars, kubectl, a test), as in a real
 * cluster where the audit log tells components apart by user and user agent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiVerb, parseResourcePath, requestVerb } from './request-info.ts';

/** The verbs that can change the cluster (the audit policy's "write" verbs). */
export const MUTATING_VERBS: ReadonlySet<string> = new Set<ApiVerb>([
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
]);

export interface AuditObjectRef {
  /** The resource's plural name (`pods`, `namespaces`). */
  resource: string;
  /** `v1` or `group/version`. */
  apiVersion: string;
  namespace?: string;
  /**
   * The object's name: from the URL, or for a create from the decoded request body's
   * `metadata.name`, as the apiserver fills objectRef.name from the decoded object (for a
   * generateName create, the name the registry generated into that body).
   */
  name?: string;
  /** A create that named its object only by prefix (`metadata.generateName`). */
  generateName?: string;
  subresource?: string;
}

export interface AuditEvent {
  /** Kubernetes verb for resource requests; the lowercased HTTP method for other paths. */
  verb: string;
  requestURI: string;
  userAgent: string;
  /** Absent for non-resource paths (discovery, /version, health). */
  objectRef?: AuditObjectRef;
  /** The answer's status code; absent when the connection ended before an answer was sent. */
  code?: number;
  dryRun: boolean;
  /** Wall-clock ms (Date.now()) when the request arrived. */
  receivedAt: number;
}

export type AuditListener = (event: AuditEvent) => void;

// The decoded body of a request, for objectRef.name on creates (set by http.ts readObjectBody).
const requestObjects = new WeakMap<IncomingMessage, unknown>();

/** Remembers the object a request carried; returns it unchanged. */
export function noteRequestObject<T>(req: IncomingMessage, object: T): T {
  if (object !== undefined) requestObjects.set(req, object);
  return object;
}

export class ApiAudit {
  private readonly listeners = new Set<AuditListener>();

  /** Calls `listener` with every request's event once it has been answered; returns an unsubscribe. */
  onRequest(listener: AuditListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows one request: its event goes out when the response is done or the connection ends. */
  track(req: IncomingMessage, res: ServerResponse): void {
    if (this.listeners.size === 0) return;
    const receivedAt = Date.now();
    res.once('close', () => {
      const event = auditEventOf(req, res.headersSent ? res.statusCode : undefined, receivedAt);
      for (const listener of [...this.listeners]) {
        // A listener's bug must not take the API server down with it.
        try {
          listener(event);
        } catch (error) {
          console.error('scars sim: audit listener failed:', error);
        }
      }
    });
  }
}

export function auditEventOf(req: IncomingMessage, code: number | undefined, receivedAt: number): AuditEvent {
  const requestURI = req.url ?? '/';
  const url = new URL(requestURI, 'http://sim');
  const method = (req.method ?? 'GET').toUpperCase();
  const base = {
    requestURI,
    userAgent: req.headers['user-agent'] ?? '',
    ...(code !== undefined ? { code } : {}),
    dryRun: url.searchParams.getAll('dryRun').length > 0,
    receivedAt,
  };
  let info: ReturnType<typeof parseResourcePath>;
  try {
    info = parseResourcePath(url.pathname.replace(/\/+$/, '') || '/');
  } catch {
    // A malformed escape in the path: the server answered 404; audit it as a non-resource path.
    info = undefined;
  }
  if (!info) return { verb: method.toLowerCase(), ...base };
  const objectRef: AuditObjectRef = {
    resource: info.plural,
    apiVersion: info.apiVersion,
    ...(info.namespace !== undefined ? { namespace: info.namespace } : {}),
    ...(info.name !== undefined ? { name: info.name } : {}),
    ...(info.subresource !== undefined ? { subresource: info.subresource } : {}),
  };
  if (method === 'POST' && info.name === undefined) {
    const meta = metadataOf(requestObjects.get(req));
    if (meta.name) objectRef.name = meta.name;
    else if (meta.generateName) objectRef.generateName = meta.generateName;
  }
  const verb = requestVerb(method, info.name !== undefined, url.searchParams) ?? method.toLowerCase();
  return { verb, objectRef, ...base };
}

function metadataOf(object: unknown): { name?: string; generateName?: string } {
  if (typeof object !== 'object' || object === null) return {};
  const metadata = (object as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return {};
  const { name, generateName } = metadata as { name?: unknown; generateName?: unknown };
  return {
    ...(typeof name === 'string' && name ? { name } : {}),
    ...(typeof generateName === 'string' && generateName ? { generateName } : {}),
  };
}
