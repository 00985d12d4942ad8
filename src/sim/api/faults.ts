/**
 * Faults the simulated API server injects into itself, so clients (scars' own harness first) can
 * be tested against an apiserver that fails for a while:
 *
 * - `status`: matching requests get an error answer. 500 is a Status `InternalError` (what an
 *   etcd failure surfaces as), 503 a Status `ServiceUnavailable`, and 429 what the apiserver's
 *   max-in-flight and priority-and-fairness filters send: a `Retry-After` header and the plain-text
 *   body "Too many requests, please try again later." (k8s.io/apiserver/pkg/server/filters,
 *   tooManyRequests → http.Error), which clients turn into reason TooManyRequests themselves.
 * - `timeout`: matching requests are held unanswered, like packets lost on the way to a stuck
 *   apiserver, until the client gives up or the apiserver's own 60 s request deadline passes (then a
 *   504 Status `Timeout`, as its timeout filter answers). Held requests never outlive the server.
 * - `restart`: the listener closes and cuts every connection (watches included), refuses
 *   connections for `forMs`, then listens again on the same port with the same store.
 *
 * Durations are cluster time (the sim clock). Health endpoints are never failed, as the
 * apiserver's flow control exempts probes. The sim's own controllers and kubelets write to the
 * store in-process and are not affected: only clients that come over HTTP see the faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimClock } from '../clock.ts';
import { sendError } from './http.ts';
import { type ApiVerb, parseResourcePath, requestVerb } from './request-info.ts';
import { ApiError } from './rest/status.ts';

export const API_VERBS: readonly ApiVerb[] = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
];

export interface ApiFaultMatch {
  /** Kubernetes verbs (`list`, `watch`, `patch`…); any when absent. */
  verbs?: readonly ApiVerb[];
  /**
   * Resources as RBAC names them: `pods`, `nodes`, `pods/eviction` (a subresource is only matched
   * by its own name). When present, non-resource requests (discovery, /version) are not matched.
   */
  resources?: readonly string[];
}

export interface ApiFaultSpec {
  kind: 'status' | 'timeout' | 'restart';
  /** For `status`: the HTTP status (default 500). */
  status?: 500 | 503 | 429;
  /** For `status`: Retry-After in seconds (429 default 1, as the apiserver sends; 503 none). */
  retryAfterSeconds?: number;
  /** How long the fault lasts, ms of cluster time. Without it and `count`: until cleared. */
  forMs?: number;
  /** For `status`/`timeout`: the fault ends after this many matching requests. */
  count?: number;
  /** For `status`/`timeout`: which requests; every one when absent. */
  match?: ApiFaultMatch;
}

export interface ApiFaultHandle {
  readonly id: number;
  readonly spec: Readonly<ApiFaultSpec>;
  /** Requests this fault answered or held (for `restart`: connections it cut). */
  readonly hits: number;
  readonly active: boolean;
  /** Settles when the fault has ended (for `restart`: once the server listens again). */
  readonly ended: Promise<void>;
  /** Ends the fault now; resolves as `ended` does. */
  clear(): Promise<void>;
}

/** What `restart` needs from the server. */
export interface RestartableListener {
  /** Stops listening and cuts every connection; returns how many were cut. */
  suspend(): Promise<number>;
  /** Listens again on the same address. */
  resume(): Promise<void>;
}

/** The apiserver's default request deadline (--request-timeout, 1m). */
export const SERVER_REQUEST_TIMEOUT_MS = 60_000;

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);

interface RequestShape {
  verb: ApiVerb | undefined;
  /** `pods`, `pods/eviction`; undefined for non-resource paths. */
  resource: string | undefined;
}

interface ActiveFault {
  handle: ApiFaultHandle;
  spec: ApiFaultSpec;
  hits: number;
  active: boolean;
  timer: NodeJS.Timeout | undefined;
  finish: () => void;
  ended: Promise<void>;
}

export class ApiFaults {
  private readonly faults: ActiveFault[] = [];
  private readonly heldRequests = new Set<{ res: ServerResponse; timer: NodeJS.Timeout }>();
  private listener: RestartableListener | undefined;
  private down = 0;
  private transition: Promise<void> = Promise.resolve();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly clock: SimClock) {}

  /** The server `restart` faults act on (set once it listens). */
  bindServer(listener: RestartableListener): void {
    this.listener = listener;
  }

  inject(spec: ApiFaultSpec): ApiFaultHandle {
    checkSpec(spec);
    if (this.stopped) throw new Error('sim API faults: the cluster is stopped');
    if (spec.kind === 'restart' && !this.listener) throw new Error('sim API faults: no server to restart');
    let finish!: () => void;
    const ended = new Promise<void>((resolve) => (finish = resolve));
    const clone = structuredClone(spec);
    const handle: ApiFaultHandle = {
      id: this.nextId++,
      spec: clone,
      get hits() {
        return fault.hits;
      },
      get active() {
        return fault.active;
      },
      ended,
      clear: () => {
        this.end(fault);
        return ended;
      },
    };
    const fault: ActiveFault = {
      spec: clone,
      hits: 0,
      active: true,
      timer: undefined,
      finish,
      ended,
      handle,
    };
    this.faults.push(fault);
    if (spec.forMs !== undefined) fault.timer = this.clock.setTimeout(() => this.end(fault), spec.forMs);
    if (spec.kind === 'restart') this.goDown(fault);
    return fault.handle;
  }

  /** Requests held unanswered by `timeout` faults right now. */
  held(): number {
    return this.heldRequests.size;
  }

  /** Faults still in effect, oldest first. */
  active(): ApiFaultHandle[] {
    return this.faults.filter((f) => f.active).map((f) => f.handle);
  }

  /** Ends every fault; resolves once the server listens again if one had it down. */
  async clearAll(): Promise<void> {
    const all = this.faults.filter((f) => f.active);
    for (const f of all) this.end(f);
    await Promise.all(all.map((f) => f.ended));
  }

  /**
   * Called first for every request: true when a fault took it (answered it or holds it), and the
   * request must not be served.
   */
  intercept(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.faults.some((f) => f.active && f.spec.kind !== 'restart')) return false;
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (HEALTH_PATHS.has(path)) return false;
    const shape = shapeOf(req.method ?? 'GET', path, url.searchParams);
    const fault = this.faults.find(
      (f) => f.active && f.spec.kind !== 'restart' && matches(f.spec.match, shape),
    );
    if (!fault) return false;
    fault.hits++;
    if (fault.spec.count !== undefined && fault.hits >= fault.spec.count) this.end(fault);
    if (fault.spec.kind === 'timeout') this.hold(res);
    else answer(res, fault.spec);
    // The body is not read: drain it so the connection is not stuck behind it.
    req.resume();
    return true;
  }

  /** Ends every fault and drops held requests; restarts in progress stay down. */
  stop(): void {
    this.stopped = true;
    for (const f of this.faults) {
      if (f.timer) this.clock.clearTimeout(f.timer);
      f.active = false;
      f.finish();
    }
    this.faults.length = 0;
    for (const h of this.heldRequests) {
      this.clock.clearTimeout(h.timer);
      h.res.destroy();
    }
    this.heldRequests.clear();
  }

  private hold(res: ServerResponse): void {
    const entry = {
      res,
      timer: this.clock.setTimeout(() => {
        this.heldRequests.delete(entry);
        sendError(
          res,
          new ApiError(
            504,
            'Timeout',
            'Timeout: request did not complete within requested timeout - context deadline exceeded',
            {},
          ),
        );
      }, SERVER_REQUEST_TIMEOUT_MS),
    };
    this.heldRequests.add(entry);
    res.on('close', () => {
      this.clock.clearTimeout(entry.timer);
      this.heldRequests.delete(entry);
    });
  }

  private goDown(fault: ActiveFault): void {
    const listener = this.listener as RestartableListener;
    this.down++;
    if (this.down > 1) return;
    // Listener changes run one after another, so a short restart cannot resume before it went down.
    this.transition = this.transition
      .then(() => listener.suspend())
      .then((cut) => {
        fault.hits = cut;
      })
      .catch((error: unknown) =>
        console.error('scars sim: injected restart could not stop the listener:', error),
      );
  }

  private end(fault: ActiveFault): void {
    if (!fault.active) return;
    fault.active = false;
    if (fault.timer) this.clock.clearTimeout(fault.timer);
    const idx = this.faults.indexOf(fault);
    if (idx >= 0) this.faults.splice(idx, 1);
    if (fault.spec.kind !== 'restart') return fault.finish();
    this.down--;
    if (this.down === 0 && !this.stopped) {
      const listener = this.listener as RestartableListener;
      this.transition = this.transition
        .then(() => listener.resume())
        .catch((error: unknown) =>
          console.error('scars sim: could not listen again after an injected restart:', error),
        );
    }
    void this.transition.then(() => fault.finish());
  }
}

function answer(res: ServerResponse, spec: ApiFaultSpec): void {
  const status = spec.status ?? 500;
  if (status === 429) {
    const body = 'Too many requests, please try again later.\n';
    res.writeHead(429, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Retry-After': String(spec.retryAfterSeconds ?? 1),
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  if (status === 503) {
    const details = spec.retryAfterSeconds !== undefined ? { retryAfterSeconds: spec.retryAfterSeconds } : {};
    sendError(
      res,
      new ApiError(
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
        details,
      ),
    );
    return;
  }
  const cause = 'injected by the scars sim (API fault)';
  sendError(
    res,
    new ApiError(500, 'InternalError', `Internal error occurred: ${cause}`, { causes: [{ message: cause }] }),
  );
}

function shapeOf(method: string, path: string, query: URLSearchParams): RequestShape {
  let info;
  try {
    info = parseResourcePath(path);
  } catch {
    info = undefined;
  }
  if (!info) return { verb: method === 'GET' || method === 'HEAD' ? 'get' : undefined, resource: undefined };
  const resource = info.subresource ? `${info.plural}/${info.subresource}` : info.plural;
  const verb = requestVerb(method, info.name !== undefined, query);
  return { verb, resource };
}

function matches(match: ApiFaultMatch | undefined, shape: RequestShape): boolean {
  if (!match) return true;
  if (match.verbs && !(shape.verb && match.verbs.includes(shape.verb))) return false;
  if (
    match.resources &&
    !(shape.resource && (match.resources.includes(shape.resource) || match.resources.includes('*')))
  )
    return false;
  return true;
}

function checkSpec(spec: ApiFaultSpec): void {
  const bad = (what: string) => {
    throw new RangeError(`sim API fault: ${what}`);
  };
  if (!['status', 'timeout', 'restart'].includes(spec.kind))
    bad(`kind must be status, timeout or restart, got ${String(spec.kind)}`);
  if (spec.status !== undefined && (spec.kind !== 'status' || ![500, 503, 429].includes(spec.status)))
    bad(`status must be 500, 503 or 429 on a status fault, got ${String(spec.status)}`);
  if (
    spec.retryAfterSeconds !== undefined &&
    (spec.kind !== 'status' || !Number.isInteger(spec.retryAfterSeconds) || spec.retryAfterSeconds < 0)
  )
    bad(
      `retryAfterSeconds must be a whole number ≥ 0 on a status fault, got ${String(spec.retryAfterSeconds)}`,
    );
  if (spec.forMs !== undefined && !(Number.isFinite(spec.forMs) && spec.forMs >= 0))
    bad(`forMs must be ≥ 0 ms, got ${String(spec.forMs)}`);
  if (spec.count !== undefined) {
    if (spec.kind === 'restart') bad('count does not apply to a restart (use forMs)');
    if (!Number.isInteger(spec.count) || spec.count < 1)
      bad(`count must be a whole number ≥ 1, got ${String(spec.count)}`);
  }
  if (spec.kind === 'restart' && spec.match)
    bad('match does not apply to a restart (every connection is cut)');
  for (const v of spec.match?.verbs ?? [])
    if (!API_VERBS.includes(v)) bad(`unknown verb ${JSON.stringify(v)} (one of ${API_VERBS.join(', ')})`);
}
