/**
 * pods/{name}/proxy[/{path}]: the apiserver's pod proxy (pkg/registry/core/pod/rest ProxyREST and
 * pod.ResourceLocation; apimachinery pkg/util/proxy), what `kubectl get --raw
 * /api/v1/namespaces/kube-system/pods/coredns-x:9153/proxy/metrics` and Prometheus's
 * kubernetes_sd through the API use.
 *
 * - The name is `name`, `name:port` or `scheme:name:port` (SplitSchemeNamePort; scheme http or
 *   https); anything else is 400 `invalid pod request "<id>"`. A missing pod is the usual 404.
 * - Without a port, the first container port declared by any container; without one either, the
 *   scheme's default.
 * - A pod without an IP is 400 `address not allowed` (upstream also refuses addresses that are not
 *   global unicast; the sim's pod IPs are loopback by design, so the check is that the address is
 *   the sim's own pod or node address).
 * - The request goes from the API server's node (the control plane's InternalIP) to podIP:port
 *   through the sim network, so NetworkPolicy, and nothing else, judges it as it would the real
 *   apiserver's connection; over https the pod's certificate is not verified (the apiserver's
 *   proxy transport skips verification).
 * - A connection that fails is 503 ServiceUnavailable `error trying to reach service: dial tcp
 *   <ip>:<port>: connect: connection refused` (or `i/o timeout` after the dialer's 30 s), as the
 *   proxy transport wraps dial errors. Otherwise the pod's status, headers and body are passed on
 *   as they are (a 404 from the pod is the pod's 404, not a Status).
 *
 * Not modelled: upgrades (websockets, SPDY), streaming (the body is read whole before it is
 * passed on), the HTML link rewriting of the proxy transport, the bandwidth limit.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { HostNetworkError } from '../../../agent/host.ts';
import { isSimAddress, type SimNetwork } from '../../dataplane/pod-network.ts';
import { resourceAt } from '../../kinds/registry.ts';
import type { KubeObject } from '../../object.ts';
import { readRawBody } from '../http.ts';
import { ApiError, badRequest } from '../rest/status.ts';
import type { ResourceCall } from './context.ts';

/** The apiserver's proxy dialer timeout (kube-apiserver's proxy transport: net.Dialer{Timeout: 30s}). */
const DIAL_TIMEOUT_MS = 30_000;

/** Headers that belong to one hop (net/http/httputil's ReverseProxy drops them both ways). */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** SplitSchemeNamePort (apimachinery pkg/util/net/port_split.go). */
export function splitSchemeNamePort(
  id: string,
): { scheme: '' | 'http' | 'https'; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0] as string;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (name === '' || !['', 'http', 'https'].includes(scheme)) return undefined;
  return { scheme: scheme as '' | 'http' | 'https', name, port };
}

const serviceUnavailable = (message: string): ApiError =>
  new ApiError(503, 'ServiceUnavailable', `error trying to reach service: ${message}`);

/** The control plane's InternalIP: where the API server's own connections come from. */
function apiServerNode(call: ResourceCall): { name: string; ip: string } | undefined {
  const nodes = resourceAt('v1', 'nodes');
  if (!nodes) return undefined;
  const all = call.ctx.registry.list(nodes, {}).items as (Node & KubeObject)[];
  const node =
    all.find((n) => n.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined) ?? all[0];
  const ip = node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return node && ip ? { name: node.metadata.name ?? '', ip } : undefined;
}

function firstContainerPort(pod: Pod): string {
  for (const c of pod.spec?.containers ?? []) {
    const p = c.ports?.[0];
    if (p) return String(p.containerPort);
  }
  return '';
}

export async function podProxy(call: ResourceCall): Promise<void> {
  const network: SimNetwork | undefined = call.ctx.network;
  const id = call.info.name ?? '';
  const split = splitSchemeNamePort(id);
  if (!split) throw badRequest(`invalid pod request "${id}"`);
  const pod = call.ctx.registry.get(call.resource, call.info.namespace, split.name) as Pod & KubeObject;
  const podIP = pod.status?.podIP ?? '';
  if (!podIP || !isSimAddress(podIP)) throw badRequest('address not allowed');
  const scheme = split.scheme === '' ? 'http' : split.scheme;
  const port = split.port || firstContainerPort(pod) || (scheme === 'https' ? '443' : '80');
  const hostPort = `${podIP}:${port}`;
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    throw serviceUnavailable(`dial tcp: address tcp/${port}: unknown port`);
  const source = apiServerNode(call);
  if (!network || !source) throw serviceUnavailable(`dial tcp ${hostPort}: connect: network is unreachable`);

  const search = new URL(call.req.url ?? '/', 'http://sim').search;
  const url = `${scheme}://${hostPort}/${call.info.subpath ?? ''}${search}`;
  const method = call.req.method ?? 'GET';
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.req.headers)) {
    const key = k.toLowerCase();
    // The apiserver authenticates the client itself; its credentials are not passed on.
    if (HOP_BY_HOP.has(key) || key === 'authorization' || key === 'host' || v === undefined) continue;
    headers[key] = Array.isArray(v) ? v.join(', ') : v;
  }
  const body = ['GET', 'HEAD'].includes(method) ? undefined : (await readRawBody(call.req)).toString('utf8');

  const attachment = network.attach({
    kind: 'node',
    ip: source.ip,
    nodeName: source.name,
    log() {},
  });
  let response;
  try {
    response = await attachment.http({
      url,
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      timeoutMs: DIAL_TIMEOUT_MS,
      ...(scheme === 'https' ? { tls: { rejectUnauthorized: false } } : {}),
    });
  } catch (err) {
    if (err instanceof HostNetworkError) {
      if (err.code === 'ECONNREFUSED')
        throw serviceUnavailable(`dial tcp ${hostPort}: connect: connection refused`);
      if (err.code === 'ETIMEDOUT') throw serviceUnavailable(`dial tcp ${hostPort}: i/o timeout`);
      if (err.code === 'ECONNRESET') throw serviceUnavailable('read: connection reset by peer');
    }
    throw serviceUnavailable(err instanceof Error ? err.message : String(err));
  } finally {
    attachment.closeNow();
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers))
    if (!HOP_BY_HOP.has(k.toLowerCase()) && k.toLowerCase() !== 'content-length') out[k] = v;
  call.res.writeHead(response.status, { ...out, 'Content-Length': response.body.byteLength });
  call.res.end(method === 'HEAD' ? undefined : Buffer.from(response.body));
}
