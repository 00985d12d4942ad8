/**
 * Thin typed access to any Kubernetes object through @kubernetes/client-node.
 * This is the only place scars talks HTTP to a cluster; providers differ only in the kubeconfig.
 *
 * Every request has a deadline (timed-kube-config.ts), and calls are retried on 429, 5xx, lost
 * connections and timeouts where a second try is safe (api-failure.ts, retry.ts). A create whose
 * answer was lost and whose retry finds the name taken reads the object back and keeps it only if
 * it carries every label that was sent: scars labels what it creates with the run id, so only
 * this run's own object passes. A failure after an attempt that may have acted is reported as
 * not answered, so the journal keeps the intent and revert undoes whatever did happen.
 */
import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
} from '@kubernetes/client-node';
import { type CallKind, classifyFailure } from './api-failure.ts';
import { formatRef, type KubeRef, refOf } from './kube-ref.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryReport, withRetries } from './retry.ts';
import { TimedKubeConfig } from './timed-kube-config.ts';
import { type Clock, wallClock } from './timeline.ts';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A failed API call, with what was attempted and the server's Status reason and message. */
export class KubeApiError extends Error {
  constructor(
    readonly verb: string,
    readonly target: string,
    readonly code: number | undefined,
    readonly reason: string | undefined,
    readonly serverMessage: string,
    /** How many attempts were made (retries included). */
    readonly attempts = 1,
    /** An earlier attempt's answer was lost: it may have acted although this answer says otherwise. */
    readonly uncertain = false,
  ) {
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    super(
      `${verb} ${target}: ${code ? `${code} ${reason ?? ''}`.trim() : 'no answer'}: ${serverMessage}${tries}`,
    );
    this.name = 'KubeApiError';
  }

  /** True when the server answered and no earlier attempt may have acted: the request definitely did or did not happen. */
  get answered(): boolean {
    return this.code !== undefined && !this.uncertain;
  }
}

export interface KubeApiOptions {
  /** The clock retries wait on and their budget is measured in: the cluster's (default wall). */
  clock?: Clock;
  /** Retry policy overrides; `false` makes every call a single attempt. */
  retry?: Partial<RetryPolicy> | false;
  /** Wall milliseconds one request may take (default 30 s). */
  requestTimeoutMs?: number;
  /** For tests: the jitter's random source. */
  random?: () => number;
}

/** Receives a report for every call that failed at least once (recovered or not). */
export type RetryListener = (report: RetryReport) => void;

export type EvictionOutcome =
  { evicted: true } | { evicted: false; code: number; reason: string; message: string };

export class KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly versionApi: VersionApi;
  private readonly clock: Clock;
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly listeners = new Set<RetryListener>();
  private fenceController = new AbortController();
  private readonly pooled: TimedKubeConfig;

  constructor(
    readonly kubeConfig: KubeConfig,
    options: KubeApiOptions = {},
  ) {
    // One pooled connection per cluster instead of client-node's handshake per call (see keep-alive.ts).
    const pooled = TimedKubeConfig.withTimeout(kubeConfig, options.requestTimeoutMs);
    this.pooled = pooled;
    this.objects = KubernetesObjectApi.makeApiClient(pooled);
    this.core = pooled.makeApiClient(CoreV1Api);
    this.versionApi = pooled.makeApiClient(VersionApi);
    this.clock = options.clock ?? wallClock;
    this.policy =
      options.retry === false
        ? { ...DEFAULT_RETRY_POLICY, budgetMs: 0 }
        : { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.random = options.random ?? Math.random;
  }

  /**
   * Closes the pooled connections. Idle keep-alive sockets otherwise stay open until the server
   * times them out (a minute on kube-apiserver), so a process that runs many runs would hold a
   * pool of them per run. Calls made after close open fresh connections.
   */
  close(): void {
    this.pooled.close();
  }

  /** Reports of retried calls go to `listener` until the returned function is called. */
  onRetry(listener: RetryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls already under way make no further attempt (a waiting one gives up now). Revert fences
   * before it starts, so a write still being retried for an abandoned step cannot land after its undo.
   */
  fence(): void {
    this.fenceController.abort();
    this.fenceController = new AbortController();
  }

  /** Runs one call with retries; failures become KubeApiErrors naming the call. */
  private async call<T>(
    verb: string,
    target: string,
    kind: CallKind,
    attempt: (state: { attempt: number; ambiguous: boolean }) => Promise<T>,
  ): Promise<T> {
    let report: RetryReport | undefined;
    try {
      return await withRetries(attempt, {
        call: `${verb} ${target}`,
        policy: this.policy,
        clock: this.clock,
        classify: (err) => classifyFailure(err, kind),
        fence: this.fenceController.signal,
        random: this.random,
        onReport: (r) => {
          report = r;
          for (const l of this.listeners) l(r);
        },
      });
    } catch (err) {
      throw toKubeError(err, verb, target, report);
    }
  }

  /** The API server's `gitVersion` (`/version`), e.g. `v1.32.0`. */
  async serverVersion(): Promise<string> {
    return this.call('GET', '/version', 'read', async () => (await this.versionApi.getCode()).gitVersion);
  }

  async read<T extends KubernetesObject = KubernetesObject>(ref: KubeRef): Promise<T | undefined> {
    return this.call('GET', formatRef(ref), 'read', async () => {
      try {
        return (await this.objects.read(specOf(ref))) as T;
      } catch (err) {
        if (statusCode(err) === 404) return undefined;
        throw err;
      }
    });
  }

  async list<T extends KubernetesObject = KubernetesObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<T[]> {
    const target = `${kind}${options.namespace ? ` -n ${options.namespace}` : ''}`;
    return this.call('LIST', target, 'read', async () => {
      const list = await this.objects.list(
        apiVersion,
        kind,
        options.namespace,
        undefined,
        undefined,
        undefined,
        options.fieldSelector,
        options.labelSelector,
      );
      return list.items.map((item) => ({ apiVersion, kind, ...item }) as T);
    });
  }

  async create<T extends KubernetesObject = KubernetesObject>(obj: KubernetesObject): Promise<T> {
    const ref = refOf(obj);
    return this.call('CREATE', formatRef(ref), 'create', async ({ ambiguous }) => {
      try {
        return (await this.objects.create(obj as KubernetesObject & { metadata: { name: string } })) as T;
      } catch (err) {
        // An earlier attempt may have created it: keep the object if it is ours.
        if (!ambiguous || statusCode(err) !== 409 || statusBody(err).reason !== 'AlreadyExists') throw err;
        // A read that fails in transit is retried with the create; a 404 leaves the answer unsure.
        const live = (await this.objects.read(specOf(ref)).catch((readErr: unknown) => {
          throw statusCode(readErr) === 404 ? err : readErr;
        })) as T;
        if (carriesLabelsOf(live, obj)) return live;
        throw new AlreadyExistsNotOurs(err);
      }
    });
  }

  async patch<T extends KubernetesObject = KubernetesObject>(
    ref: KubeRef,
    patch: Record<string, unknown>,
    strategy: 'merge' | 'strategic' = 'merge',
  ): Promise<T> {
    const body = {
      ...patch,
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { ...asRecord(patch.metadata), ...nameOf(ref) },
    };
    // Applying the same merge patch twice leaves the object as applying it once does.
    return this.call(
      'PATCH',
      formatRef(ref),
      'write',
      async () =>
        (await this.objects.patch(
          body,
          undefined,
          undefined,
          'scars',
          undefined,
          strategy === 'merge' ? PatchStrategy.MergePatch : PatchStrategy.StrategicMergePatch,
        )) as T,
    );
  }

  /** Deletes the object; `uid` makes it a no-op (409) if a different object now has the name. */
  async delete(
    ref: KubeRef,
    options: { uid?: string; gracePeriodSeconds?: number } = {},
  ): Promise<'deleted' | 'already-gone'> {
    return this.call('DELETE', formatRef(ref), 'write', async ({ ambiguous }) => {
      try {
        await this.objects.delete(
          specOf(ref),
          undefined,
          undefined,
          options.gracePeriodSeconds,
          undefined,
          'Background',
          {
            ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
          },
        );
        return 'deleted';
      } catch (err) {
        // After a lost answer, gone may well mean our own earlier attempt deleted it.
        if (statusCode(err) === 404) return ambiguous ? 'deleted' : 'already-gone';
        throw err;
      }
    });
  }

  /** GET pods/<name>/log: the container's log text (`previous`: the last terminated instance's). */
  async logs(
    namespace: string,
    name: string,
    options: { container?: string; previous?: boolean } = {},
  ): Promise<string> {
    const target = `Pod/${name} -n ${namespace}${options.container ? ` -c ${options.container}` : ''}`;
    return this.call('LOGS', target, 'read', () =>
      this.core.readNamespacedPodLog({ name, namespace, ...options }),
    );
  }

  /**
   * GET pods/<name>[:<port>]/proxy/<path>: a pod's HTTP answer through the API server's pod proxy
   * (what `kubectl get --raw` does), e.g. a CoreDNS replica's metrics on 9153.
   */
  async proxyGet(namespace: string, pod: string, path: string, port?: number): Promise<string> {
    const name = port === undefined ? pod : `${pod}:${port}`;
    return this.call('PROXY', `Pod/${name} -n ${namespace} /${path}`, 'proxy', () =>
      this.core.connectGetNamespacedPodProxyWithPath({ name, namespace, path }),
    );
  }

  /** POST pods/<name>/eviction: a 429 from a PodDisruptionBudget is an answer, not an error. */
  async evict(namespace: string, name: string): Promise<EvictionOutcome> {
    return this.call('EVICT', `Pod/${name} -n ${namespace}`, 'evict', async () => {
      try {
        await this.core.createNamespacedPodEviction({
          name,
          namespace,
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
        });
        return { evicted: true } as const;
      } catch (err) {
        const code = statusCode(err);
        // A disruption budget's refusal is a Status; the same codes without one are the apiserver failing.
        if ((code === 429 || code === 403 || code === 500) && isStatus(err)) {
          const status = statusBody(err);
          return {
            evicted: false,
            code,
            reason: status.reason ?? '',
            message: status.message ?? '',
          } as const;
        }
        throw err;
      }
    });
  }
}

/** A lost create's retry found the name taken by an object that is not the one sent. */
class AlreadyExistsNotOurs extends Error {
  constructor(readonly conflict: unknown) {
    super('already exists, and not with the labels this create sent');
  }
}

/** The live object carries every label `sent` had, with the same values (and `sent` had some). */
function carriesLabelsOf(live: KubernetesObject, sent: KubernetesObject): boolean {
  const want = Object.entries(sent.metadata?.labels ?? {});
  const have = live.metadata?.labels ?? {};
  return want.length > 0 && want.every(([k, v]) => have[k] === v);
}

function specOf(ref: KubeRef): KubernetesObject & { metadata: { name: string; namespace?: string } } {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: nameOf(ref) };
}

function nameOf(ref: KubeRef): { name: string; namespace?: string } {
  return ref.namespace ? { name: ref.name, namespace: ref.namespace } : { name: ref.name };
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (err instanceof KubeApiError) return err.code;
  return undefined;
}

function isStatus(err: unknown): boolean {
  if (!(err instanceof ApiException)) return false;
  try {
    const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return asRecord(body).kind === 'Status';
  } catch {
    return false;
  }
}

function statusBody(err: unknown): { reason?: string; message?: string } {
  if (!(err instanceof ApiException)) return {};
  const body: unknown = err.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { message: body };
    }
  }
  const rec = asRecord(parsed);
  const out: { reason?: string; message?: string } = {};
  if (typeof rec.reason === 'string') out.reason = rec.reason;
  if (typeof rec.message === 'string') out.message = rec.message;
  return out;
}

export function toKubeError(
  err: unknown,
  verb: string,
  target: string,
  retries?: Pick<RetryReport, 'attempts' | 'ambiguous'>,
): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const attempts = retries?.attempts ?? 1;
  if (err instanceof AlreadyExistsNotOurs) {
    // Whatever the earlier attempts did, the object of that name is somebody else's: a definite answer.
    const e = toKubeError(err.conflict, verb, target);
    return new KubeApiError(verb, target, e.code, e.reason, e.serverMessage, attempts, false);
  }
  const uncertain = retries?.ambiguous ?? false;
  if (err instanceof ApiException) {
    const status = statusBody(err);
    const text = typeof err.body === 'string' ? err.body.trim().split('\n')[0] : undefined;
    return new KubeApiError(
      verb,
      target,
      err.code,
      status.reason ?? (err.code === 429 ? 'TooManyRequests' : undefined),
      status.message ?? (text || (err.message.split('\n')[0] ?? '')),
      attempts,
      uncertain,
    );
  }
  const cause =
    err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  const timedOut = err instanceof Error && err.name === 'AbortError';
  return new KubeApiError(
    verb,
    target,
    undefined,
    undefined,
    timedOut ? 'request timed out' : cause,
    attempts,
    uncertain,
  );
}
