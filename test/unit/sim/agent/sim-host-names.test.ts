/**
 * SimHost given a host name in `http` and `tlsConnect`: looked up as a Node client's getaddrinfo
 * does (/etc/hosts, then DNS with the pod's resolv.conf, glibc's search list and A+AAAA), every
 * query sent from the pod through the sim network to the cluster DNS address, the connection made
 * to the address found; lookup failures read as a RealHost's (`getaddrinfo ENOTFOUND`, `EAI_AGAIN`).
 * The cluster DNS here is a stage answering from a table, so the test sees each query as sent.
 */
import dnsPacket from 'dns-packet';
import type { Container } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { HostNetworkError, type HostNetwork } from '../../../../src/agent/host.ts';
import { netFailure } from '../../../../src/agent/modes/net-outcome.ts';
import { SimHost } from '../../../../src/sim/agent/sim-host.ts';
import { hostsFileAddresses } from '../../../../src/sim/agent/name-lookup.ts';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import type { SimPod } from '../../../../src/sim/kinds/pod.ts';
import type { ProcessHost } from '../../../../src/sim/kubelet/runtime.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';
import { issueLeaf } from '../../../support/certs.ts';

let ctx: SimContext | undefined;
afterEach(async () => {
  await ctx?.network.close();
  ctx?.clock.stop();
  ctx = undefined;
});

const CLIENT_IP = '127.64.1.9';
const SERVER_IP = '127.64.1.20';

interface SentQuery {
  name: string;
  type: string;
  from: string;
}

/**
 * A cluster DNS at 10.96.0.10:53 that knows `zone` (name → IPv4 addresses; a name listed with no
 * addresses has no A records, NODATA); a `silent` one drops every query (CoreDNS down).
 */
function setup(
  zone: Record<string, string[]>,
  options: { silent?: boolean; spec?: Partial<SimPod['spec']>; timeScale?: number } = {},
) {
  // Real sockets get the timeouts in wall time: 20× leaves them room on a busy machine.
  ctx = createSimCore({ topology: defaultTopology(), timeScale: options.timeScale ?? 20 });
  const c = ctx;
  const sent: SentQuery[] = [];
  c.network.use({
    intercept(dest, source) {
      if (dest.ip !== '10.96.0.10' || dest.port !== 53) return undefined;
      return {
        kind: 'dns',
        exchange: async (bytes) => {
          const query = dnsPacket.decode(Buffer.from(bytes));
          const question = query.questions?.[0];
          if (!question) return undefined;
          sent.push({ name: question.name, type: question.type, from: source.ip });
          if (options.silent) return undefined;
          const known = zone[question.name.toLowerCase()];
          const answers =
            known && question.type === 'A'
              ? known.map((data) => ({ type: 'A' as const, name: question.name, ttl: 5, data }))
              : [];
          return dnsPacket.encode({
            type: 'response',
            id: query.id,
            flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
            questions: [question],
            answers,
          });
        },
      };
    },
  });
  const container: Container = { name: 'app', image: 'scars-agent' };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'client', namespace: 'shop', uid: 'u1' },
    spec: { containers: [container], ...options.spec },
  } as SimPod;
  const process: ProcessHost = {
    clock: c.clock,
    containerName: 'app',
    role: 'regular',
    log: () => {},
    exit: () => {},
    usageChanged: () => {},
    invalidConfiguration: () => {},
    podIP: CLIENT_IP,
    nodeName: 'scars-worker',
    nodeIP: '127.18.0.3',
    startFailed: () => {},
  };
  const network = c.network.attach({ kind: 'pod', ip: CLIENT_IP, log: () => {} });
  const host = new SimHost({ pod, container, process, network, registry: c.registry });
  const server = c.network.attach({ kind: 'pod', ip: SERVER_IP, log: () => {} });
  return { ctx: c, host, sent, server: server as HostNetwork };
}

const text = (body: Uint8Array) => Buffer.from(body).toString('utf8');

/** The error a call rejected with, for checks on its code and message. */
async function failure(work: Promise<unknown>): Promise<HostNetworkError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HostNetworkError);
  return err as HostNetworkError;
}

describe('http by name', () => {
  it('`web` under ndots:5: the first search suffix answers (A and AAAA), the request goes to its address with Host: web', async () => {
    const { host, sent, server } = setup({ 'web.shop.svc.cluster.local': [SERVER_IP] });
    const listener = await server.listen({ port: 0 }, async (req) => ({
      status: 200,
      body: `${req.headers['host']} ${req.path}`,
    }));
    const res = await host.net.http({ url: `http://web:${listener.port}/healthz`, timeoutMs: 5000 });
    expect(res.status).toBe(200);
    expect(text(res.body)).toBe(`web:${listener.port} /healthz`);
    expect(sent).toEqual([
      { name: 'web.shop.svc.cluster.local', type: 'A', from: CLIENT_IP },
      { name: 'web.shop.svc.cluster.local', type: 'AAAA', from: CLIENT_IP },
    ]);
    // Node keeps no DNS cache: the next request asks again.
    await host.net.http({ url: `http://web:${listener.port}/`, timeoutMs: 5000 });
    expect(sent).toHaveLength(4);
  });

  it('`web.other.svc` (two dots) walks the search list to the third candidate: 6 queries', async () => {
    const { host, sent, server } = setup({ 'web.other.svc.cluster.local': [SERVER_IP] });
    const listener = await server.listen({ port: 0 }, async () => ({ status: 204 }));
    const res = await host.net.http({ url: `http://web.other.svc:${listener.port}/`, timeoutMs: 5000 });
    expect(res.status).toBe(204);
    expect([...new Set(sent.map((q) => q.name))]).toEqual([
      'web.other.svc.shop.svc.cluster.local',
      'web.other.svc.svc.cluster.local',
      'web.other.svc.cluster.local',
    ]);
    expect(sent).toHaveLength(6);
  });

  it('an unknown name: every candidate NXDOMAIN (8 queries), then `getaddrinfo ENOTFOUND`, classified as a RealHost’s', async () => {
    const { host, sent } = setup({});
    const err = await failure(host.net.http({ url: 'http://nope/healthz', timeoutMs: 5000 }));
    expect(err.code).toBe('ENOTFOUND');
    expect(err.message).toBe('GET http://nope/healthz: getaddrinfo ENOTFOUND nope');
    expect(err.detail).toBeUndefined();
    expect(netFailure(err)).toEqual({ outcome: 'error', error: err.message });
    expect(sent.map((q) => `${q.name}/${q.type}`)).toEqual(
      ['nope.shop.svc.cluster.local', 'nope.svc.cluster.local', 'nope.cluster.local', 'nope'].flatMap((n) => [
        `${n}/A`,
        `${n}/AAAA`,
      ]),
    );
  });

  it('a name with no A or AAAA records (NODATA) is ENOTFOUND too, as Node folds EAI_NODATA into it', async () => {
    const { host } = setup({ 'empty.shop.svc.cluster.local': [] });
    const err = await failure(host.net.http({ url: 'http://empty/', timeoutMs: 5000 }));
    expect(err.message).toBe('GET http://empty/: getaddrinfo ENOTFOUND empty');
  });

  it('a DNS that does not answer: EAI_AGAIN after glibc’s 2 × (2 × 5 s) when the request allows it, else the request’s own timeout', async () => {
    const { host, sent, ctx: c } = setup({}, { silent: true, timeScale: 100 });
    const started = c.clock.now();
    const slow = await failure(host.net.http({ url: 'http://web/', timeoutMs: 30_000 }));
    expect(slow.code).toBe('ENOTFOUND');
    expect(slow.detail).toBe('EAI_AGAIN');
    expect(slow.message).toBe('GET http://web/: getaddrinfo EAI_AGAIN web');
    // A timeout ends the search list at the first suffix, then the name as is is tried: A and
    // AAAA of each, each sent twice (attempts:2), 5 s apiece.
    expect(sent.map((q) => `${q.name}/${q.type}`).sort()).toEqual(
      ['web', 'web.shop.svc.cluster.local']
        .flatMap((n) => ['A', 'A', 'AAAA', 'AAAA'].map((t) => `${n}/${t}`))
        .sort(),
    );
    expect(c.clock.now() - started).toBeGreaterThanOrEqual(20_000);
    // The sim clock runs on with wall time: some slack for a busy machine.
    expect(c.clock.now() - started).toBeLessThan(25_000);

    const quick = await failure(host.net.http({ url: 'http://web/', timeoutMs: 1000 }));
    expect(quick.code).toBe('ETIMEDOUT');
    expect(quick.message).toBe('GET http://web/: no answer within 1000ms');
    expect(netFailure(quick).outcome).toBe('timeout');
  });

  it('/etc/hosts first: the pod’s own name and hostAliases need no query; localhost is 127.0.0.1', async () => {
    const { host, sent, server } = setup(
      {},
      { spec: { hostAliases: [{ ip: SERVER_IP, hostnames: ['legacy-db', 'Legacy.Example'] }] } },
    );
    const listener = await server.listen({ port: 0 }, async (req) => ({
      status: 200,
      body: req.headers['host'],
    }));
    const res = await host.net.http({ url: `http://legacy.example:${listener.port}/`, timeoutMs: 5000 });
    expect(text(res.body)).toBe(`legacy.example:${listener.port}`);
    // Nothing listens on the client's own pod IP: refused, the name kept in the message.
    const own = await failure(host.net.http({ url: `http://client:${listener.port}/`, timeoutMs: 5000 }));
    expect(own.code).toBe('ECONNREFUSED');
    expect(own.message).toBe(
      `GET http://client:${listener.port}/: connect ECONNREFUSED ${CLIENT_IP}:${listener.port}`,
    );
    expect(sent).toEqual([]);
    expect(await host.names.lookup('localhost')).toMatchObject({
      ok: true,
      address: '127.0.0.1',
      source: 'files',
    });
  });

  it('an IP literal is used as is, with no lookup', async () => {
    const { host, sent, server } = setup({});
    const listener = await server.listen({ port: 0 }, async () => ({ status: 200 }));
    const res = await host.net.http({ url: `http://${SERVER_IP}:${listener.port}/`, timeoutMs: 5000 });
    expect(res.status).toBe(200);
    expect(sent).toEqual([]);
  });
});

describe('TLS by name', () => {
  it('tlsConnect and https:// resolve the name and keep it for SNI and verification', async () => {
    const leaf = await issueLeaf({ dnsNames: ['web.shop.svc'], ipAddresses: [] });
    const { host, sent, server } = setup({ 'web.shop.svc.cluster.local': [SERVER_IP] });
    const listener = await server.listen({ port: 0, tls: { cert: leaf.cert, key: leaf.key } }, async () => ({
      status: 200,
      body: 'secure',
    }));
    // web.shop.svc: web.shop.svc.shop.svc.cluster.local, web.shop.svc.svc.cluster.local, then the Service.
    const peer = await host.net.tlsConnect({
      host: 'web.shop.svc',
      port: listener.port,
      ca: leaf.caCert,
      timeoutMs: 5000,
    });
    expect(peer).toMatchObject({ authorized: true });
    expect(sent).toHaveLength(6);

    const res = await host.net.http({
      url: `https://web.shop.svc:${listener.port}/`,
      tls: { ca: leaf.caCert },
      timeoutMs: 5000,
    });
    expect(text(res.body)).toBe('secure');

    // Verified against the name asked for: another name for the same address does not match.
    const other = await host.net.tlsConnect({
      host: 'web.shop.svc.cluster.local',
      port: listener.port,
      ca: leaf.caCert,
      timeoutMs: 5000,
    });
    expect(other).toMatchObject({ authorized: false, authorizationError: 'ERR_TLS_CERT_ALTNAME_INVALID' });

    const missing = await failure(host.net.tlsConnect({ host: 'nope.shop.svc', port: 443, timeoutMs: 5000 }));
    expect(missing.message).toBe('TLS handshake with nope.shop.svc:443: getaddrinfo ENOTFOUND nope.shop.svc');
  });
});

describe('hostsFileAddresses', () => {
  it('reads /etc/hosts as nss_files: comments, aliases without case, every matching line', () => {
    const text =
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' +
      '10.0.0.5 db.example DB # primary\n10.0.0.6  db.example\n#10.0.0.7 db.example\nnot-an-ip db.example\n';
    expect(hostsFileAddresses(text, 'localhost')).toEqual(['127.0.0.1', '::1']);
    expect(hostsFileAddresses(text, 'db')).toEqual(['10.0.0.5']);
    expect(hostsFileAddresses(text, 'DB.Example')).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(hostsFileAddresses(text, 'primary')).toEqual([]);
  });
});
