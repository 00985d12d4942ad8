/**
 * Thin typed access to any Kubernetes object through @kubernetes/client-node.
 * This is the only place scars talks HTTP to a cluster; providers differ only in the kubeconfig.
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
import { formatRef, type KubeRef, refOf } from './kube-ref.ts';
import { KeepAliveKubeConfig } from '../cluster/keep-alive.ts';

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
  ) {
    super(`${verb} ${target}: ${code ? `${code} ${reason ?? ''}`.trim() : 'no answer'}: ${serverMessage}`);
    this.name = 'KubeApiError';
  }

  /** True when the server answered: the request definitely did or did not happen. */
  get answered(): boolean {
    return this.code !== undefined;
  }
}

export type EvictionOutcome =
  { evicted: true } | { evicted: false; code: number; reason: string; message: string };

export class KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly versionApi: VersionApi;

  constructor(readonly kubeConfig: KubeConfig) {
    // One pooled connection per cluster instead of client-node's handshake per call (see keep-alive.ts).
    const pooled = KeepAliveKubeConfig.from(kubeConfig);
    this.objects = KubernetesObjectApi.makeApiClient(pooled);
    this.core = pooled.makeApiClient(CoreV1Api);
    this.versionApi = pooled.makeApiClient(VersionApi);
  }

  /** The API server's `gitVersion` (`/version`), e.g. `v1.32.0`. */
  async serverVersion(): Promise<string> {
    try {
      return (await this.versionApi.getCode()).gitVersion;
    } catch (err) {
      throw toKubeError(err, 'GET', '/version');
    }
  }

  async read<T extends KubernetesObject = KubernetesObject>(ref: KubeRef): Promise<T | undefined> {
    try {
      return (await this.objects.read(specOf(ref))) as T;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw toKubeError(err, 'GET', formatRef(ref));
    }
  }

  async list<T extends KubernetesObject = KubernetesObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<T[]> {
    try {
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
    } catch (err) {
      throw toKubeError(err, 'LIST', `${kind}${options.namespace ? ` -n ${options.namespace}` : ''}`);
    }
  }

  async create<T extends KubernetesObject = KubernetesObject>(obj: KubernetesObject): Promise<T> {
    try {
      return (await this.objects.create(obj as KubernetesObject & { metadata: { name: string } })) as T;
    } catch (err) {
      throw toKubeError(err, 'CREATE', formatRef(refOf(obj)));
    }
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
    try {
      return (await this.objects.patch(
        body,
        undefined,
        undefined,
        'scars',
        undefined,
        strategy === 'merge' ? PatchStrategy.MergePatch : PatchStrategy.StrategicMergePatch,
      )) as T;
    } catch (err) {
      throw toKubeError(err, 'PATCH', formatRef(ref));
    }
  }

  /** Deletes the object; `uid` makes it a no-op (409) if a different object now has the name. */
  async delete(
    ref: KubeRef,
    options: { uid?: string; gracePeriodSeconds?: number } = {},
  ): Promise<'deleted' | 'already-gone'> {
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
      if (statusCode(err) === 404) return 'already-gone';
      throw toKubeError(err, 'DELETE', formatRef(ref));
    }
  }

  /** GET pods/<name>/log: the container's log text (`previous`: the last terminated instance's). */
  async logs(
    namespace: string,
    name: string,
    options: { container?: string; previous?: boolean } = {},
  ): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({ name, namespace, ...options });
    } catch (err) {
      throw toKubeError(
        err,
        'LOGS',
        `Pod/${name} -n ${namespace}${options.container ? ` -c ${options.container}` : ''}`,
      );
    }
  }

  /**
   * GET pods/<name>[:<port>]/proxy/<path>: a pod's HTTP answer through the API server's pod proxy
   * (what `kubectl get --raw` does), e.g. a CoreDNS replica's metrics on 9153.
   */
  async proxyGet(namespace: string, pod: string, path: string, port?: number): Promise<string> {
    const name = port === undefined ? pod : `${pod}:${port}`;
    try {
      return await this.core.connectGetNamespacedPodProxyWithPath({ name, namespace, path });
    } catch (err) {
      throw toKubeError(err, 'PROXY', `Pod/${name} -n ${namespace} /${path}`);
    }
  }

  /** POST pods/<name>/eviction: a 429 from a PodDisruptionBudget is an answer, not an error. */
  async evict(namespace: string, name: string): Promise<EvictionOutcome> {
    try {
      await this.core.createNamespacedPodEviction({
        name,
        namespace,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
      });
      return { evicted: true };
    } catch (err) {
      const code = statusCode(err);
      if (code === 429 || code === 403 || code === 500) {
        const status = statusBody(err);
        return { evicted: false, code, reason: status.reason ?? '', message: status.message ?? '' };
      }
      throw toKubeError(err, 'EVICT', `Pod/${name} -n ${namespace}`);
    }
  }
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

export function toKubeError(err: unknown, verb: string, target: string): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const status = statusBody(err);
    return new KubeApiError(
      verb,
      target,
      err.code,
      status.reason,
      status.message ?? err.message.split('\n')[0] ?? '',
    );
  }
  const cause =
    err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return new KubeApiError(verb, target, undefined, undefined, cause);
}
