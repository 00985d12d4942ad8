/**
 * NetworkPolicy evaluation against the examples of the upstream concepts page
 * (kubernetes.io/docs/concepts/services-networking/network-policies) and the API reference's
 * rules: isolation per direction, union of rules, peers (podSelector, namespaceSelector, both,
 * ipBlock with except), ports (protocol, number, endPort, named ports), policyTypes defaulting,
 * and the exceptions (own node, the pod itself, hostNetwork).
 */
import type { Namespace, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy, NetworkPolicySpec } from 'kubernetes-types/networking/v1.js';
import { describe, expect, it } from 'vitest';
import { PolicyClusterIndex, type PodInfo } from '../../../../src/sim/dataplane/netpol/cluster-index.ts';
import { CidrBlock, type Protocol } from '../../../../src/sim/dataplane/netpol/compile.ts';
import { evaluate, type Party, type Verdict } from '../../../../src/sim/dataplane/netpol/evaluate.ts';

const NODE_IPS: Record<string, string> = { 'worker-1': '127.18.0.3', 'worker-2': '127.18.0.4' };

interface PodFixture {
  namespace?: string;
  labels?: Record<string, string>;
  node?: string;
  ip: string;
  ports?: { name: string; containerPort: number; protocol?: string }[];
  hostNetwork?: boolean;
}

class World {
  readonly index = new PolicyClusterIndex();

  constructor(namespaces: Record<string, Record<string, string>> = {}) {
    for (const [name, ip] of Object.entries(NODE_IPS))
      this.index.applyNode('ADDED', {
        metadata: { name },
        status: { addresses: [{ type: 'InternalIP', address: ip }] },
      } as Node);
    for (const name of ['default', 'kube-system', ...Object.keys(namespaces)])
      this.index.applyNamespace('ADDED', {
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...namespaces[name] } },
      } as Namespace);
  }

  pod(name: string, f: PodFixture): PodInfo {
    const namespace = f.namespace ?? 'default';
    this.index.applyPod('ADDED', {
      metadata: { name, namespace, labels: f.labels ?? {} },
      spec: {
        nodeName: f.node ?? 'worker-1',
        hostNetwork: f.hostNetwork,
        containers: [{ name: 'main', ports: f.ports ?? [] }],
      },
      status: { phase: 'Running', podIP: f.ip, podIPs: [{ ip: f.ip }] },
    } as Pod);
    const info = this.index.pod(namespace, name);
    if (!info) throw new Error('not indexed');
    return info;
  }

  policy(name: string, spec: NetworkPolicySpec, namespace = 'default'): void {
    this.index.applyPolicy('ADDED', { metadata: { name, namespace }, spec } as NetworkPolicy);
  }

  unpolicy(name: string, namespace = 'default'): void {
    this.index.applyPolicy('DELETED', {
      metadata: { name, namespace },
      spec: { podSelector: {} },
    } as NetworkPolicy);
  }

  /** A connection from a pod (or a node, or the host) to an IP, as the sim network's stage builds it. */
  check(from: PodInfo | Party, toIP: string, port: number, protocol: Protocol = 'TCP'): Verdict {
    const source: Party =
      'kind' in from
        ? from
        : {
            kind: 'pod',
            ip: from.ips[0] ?? '',
            ...(from.nodeName ? { nodeName: from.nodeName } : {}),
            pod: from,
          };
    const pod = this.index.podAt(toIP);
    const destination: Party = { kind: pod ? 'pod' : 'host', ip: toIP, ...(pod ? { pod } : {}) };
    return evaluate({ source, destination, port, protocol }, this.index);
  }

  allowed(from: PodInfo | Party, toIP: string, port: number, protocol: Protocol = 'TCP'): boolean {
    return this.check(from, toIP, port, protocol).allowed;
  }
}

const node = (name: string): Party => ({ kind: 'node', ip: NODE_IPS[name] ?? '', nodeName: name });
const host = (ip: string): Party => ({ kind: 'host', ip });

describe('the concepts page example (test-network-policy)', () => {
  const spec: NetworkPolicySpec = {
    podSelector: { matchLabels: { role: 'db' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [
          { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
          { namespaceSelector: { matchLabels: { project: 'myproject' } } },
          { podSelector: { matchLabels: { role: 'frontend' } } },
        ],
        ports: [{ protocol: 'TCP', port: 6379 }],
      },
    ],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
  };
  const setup = () => {
    const w = new World({ myproject: { project: 'myproject' }, other: {} });
    const db = w.pod('db', { labels: { role: 'db' }, ip: '127.64.1.10' });
    const frontend = w.pod('frontend', { labels: { role: 'frontend' }, ip: '127.64.1.11' });
    const plain = w.pod('plain', { ip: '127.64.1.12' });
    const inProject = w.pod('anything', { namespace: 'myproject', ip: '127.64.2.10' });
    const foreignFrontend = w.pod('frontend', {
      namespace: 'other',
      labels: { role: 'frontend' },
      ip: '127.64.2.11',
    });
    w.policy('test-network-policy', spec);
    return { w, db, frontend, plain, inProject, foreignFrontend };
  };

  it('ingress to role=db on TCP 6379: frontend pods of its namespace, any pod of project=myproject, 172.17.0.0/16 minus 172.17.1.0/24', () => {
    const { w, frontend, plain, inProject, foreignFrontend } = setup();
    expect(w.allowed(frontend, '127.64.1.10', 6379)).toBe(true);
    expect(w.allowed(inProject, '127.64.1.10', 6379)).toBe(true);
    expect(w.allowed(host('172.17.0.5'), '127.64.1.10', 6379)).toBe(true);
    expect(w.allowed(host('172.17.2.200'), '127.64.1.10', 6379)).toBe(true);
    // Not listed: another port, UDP, a pod without the label, a frontend of another namespace,
    // the excepted /24, an address outside the block.
    expect(w.allowed(frontend, '127.64.1.10', 6380)).toBe(false);
    expect(w.allowed(frontend, '127.64.1.10', 6379, 'UDP')).toBe(false);
    expect(w.allowed(plain, '127.64.1.10', 6379)).toBe(false);
    expect(w.allowed(foreignFrontend, '127.64.1.10', 6379)).toBe(false);
    expect(w.allowed(host('172.17.1.5'), '127.64.1.10', 6379)).toBe(false);
    expect(w.allowed(host('172.18.0.5'), '127.64.1.10', 6379)).toBe(false);
    expect(w.check(plain, '127.64.1.10', 6379)).toMatchObject({
      egress: { outcome: 'not-isolated' },
      ingress: { outcome: 'denied', pod: 'default/db', policies: ['test-network-policy'] },
    });
  });

  it('egress from role=db: only TCP 5978 to 10.0.0.0/24; other pods are not isolated', () => {
    const { w, db, frontend } = setup();
    expect(w.allowed(db, '10.0.0.5', 5978)).toBe(true);
    expect(w.allowed(db, '10.0.0.5', 5979)).toBe(false);
    expect(w.allowed(db, '10.0.1.5', 5978)).toBe(false);
    expect(w.allowed(db, '10.0.0.5', 5978, 'UDP')).toBe(false);
    expect(w.allowed(db, '127.64.1.11', 80)).toBe(false);
    expect(w.check(db, '10.0.1.5', 5978).egress).toMatchObject({ outcome: 'denied', pod: 'default/db' });
    expect(w.allowed(frontend, '10.0.1.5', 443)).toBe(true);
    expect(w.allowed(frontend, '127.64.1.12', 8080)).toBe(true);
  });
});

describe('the default policies of the concepts page', () => {
  const twoPods = () => {
    const w = new World();
    const a = w.pod('a', { labels: { app: 'a' }, ip: '127.64.1.20' });
    const b = w.pod('b', { labels: { app: 'b' }, ip: '127.64.1.21' });
    return { w, a, b };
  };

  it('default-deny-ingress isolates every pod for ingress, not for egress', () => {
    const { w, a } = twoPods();
    w.policy('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(w.allowed(a, '127.64.1.21', 8080)).toBe(false);
    expect(w.check(a, '10.0.0.1', 443)).toMatchObject({ allowed: true, egress: { outcome: 'not-isolated' } });
  });

  it('allow-all-ingress (`ingress: [{}]`) beside a default deny: the union allows everything', () => {
    const { w, a } = twoPods();
    w.policy('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    w.policy('allow-all-ingress', { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] });
    expect(w.check(a, '127.64.1.21', 8080)).toMatchObject({
      allowed: true,
      ingress: { outcome: 'allowed', allowedBy: 'allow-all-ingress' },
    });
    expect(w.allowed(host('203.0.113.9'), '127.64.1.21', 1, 'UDP')).toBe(true);
  });

  it('default-deny-egress drops everything the selected pods send; allow-all-egress (`egress: [{}]`) lets it out', () => {
    const { w, a } = twoPods();
    w.policy('default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    expect(w.allowed(a, '127.64.1.21', 8080)).toBe(false);
    expect(w.allowed(a, '169.254.169.254', 80)).toBe(false);
    // Egress only: nothing isolates ingress.
    expect(w.allowed(host('203.0.113.9'), '127.64.1.21', 8080)).toBe(true);
    w.policy('allow-all-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] });
    expect(w.allowed(a, '127.64.1.21', 8080)).toBe(true);
  });

  it('default-deny-all isolates both ways; deleting it lifts the isolation', () => {
    const { w, a } = twoPods();
    w.policy('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(w.check(a, '127.64.1.21', 8080)).toMatchObject({
      allowed: false,
      egress: { outcome: 'denied' },
      ingress: { outcome: 'denied' },
    });
    w.unpolicy('default-deny-all');
    expect(w.allowed(a, '127.64.1.21', 8080)).toBe(true);
    expect(w.index.empty).toBe(true);
  });

  it('`ingress: []` denies all while `ingress: [{}]` allows all', () => {
    const { w, a } = twoPods();
    w.policy('empty', { podSelector: { matchLabels: { app: 'b' } }, ingress: [] });
    expect(w.allowed(a, '127.64.1.21', 80)).toBe(false);
    w.unpolicy('empty');
    w.policy('all', { podSelector: { matchLabels: { app: 'b' } }, ingress: [{}] });
    expect(w.allowed(a, '127.64.1.21', 80)).toBe(true);
  });
});

describe('policyTypes defaulting', () => {
  it('no policyTypes and only egress rules: Ingress is implied too, so the pod takes no ingress at all', () => {
    const w = new World();
    const a = w.pod('a', { labels: { app: 'a' }, ip: '127.64.1.30' });
    w.pod('b', { labels: { app: 'b' }, ip: '127.64.1.31' });
    w.policy('egress-only-by-mistake', {
      podSelector: { matchLabels: { app: 'b' } },
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
    });
    expect(w.check(a, '127.64.1.31', 80).ingress).toMatchObject({ outcome: 'denied' });
    const b = w.index.pod('default', 'b') as PodInfo;
    expect(w.allowed(b, '10.1.2.3', 443)).toBe(true);
    expect(w.allowed(b, '127.64.1.30', 80)).toBe(false);
  });

  it('no policyTypes and no egress rules: Ingress only (egress stays open)', () => {
    const w = new World();
    const a = w.pod('a', { labels: { app: 'a' }, ip: '127.64.1.32' });
    w.policy('ingress-only', { podSelector: {}, ingress: [] });
    expect(w.check(a, '10.0.0.1', 443).egress).toMatchObject({ outcome: 'not-isolated' });
  });
});

describe('peers', () => {
  const world = () => {
    const w = new World({ alice: { user: 'alice' }, bob: { user: 'bob' } });
    w.pod('db', { labels: { role: 'db' }, ip: '127.64.1.40' });
    return {
      w,
      aliceClient: w.pod('client', { namespace: 'alice', labels: { role: 'client' }, ip: '127.64.2.40' }),
      aliceOther: w.pod('other', { namespace: 'alice', labels: { role: 'other' }, ip: '127.64.2.41' }),
      bobClient: w.pod('client', { namespace: 'bob', labels: { role: 'client' }, ip: '127.64.2.42' }),
      localClient: w.pod('client', { labels: { role: 'client' }, ip: '127.64.1.41' }),
    };
  };

  it('namespaceSelector and podSelector in one element: pods with role=client in namespaces of user=alice (AND)', () => {
    const { w, aliceClient, aliceOther, bobClient, localClient } = world();
    w.policy('and', {
      podSelector: { matchLabels: { role: 'db' } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { user: 'alice' } },
              podSelector: { matchLabels: { role: 'client' } },
            },
          ],
        },
      ],
    });
    expect(w.allowed(aliceClient, '127.64.1.40', 5432)).toBe(true);
    expect(w.allowed(aliceOther, '127.64.1.40', 5432)).toBe(false);
    expect(w.allowed(bobClient, '127.64.1.40', 5432)).toBe(false);
    expect(w.allowed(localClient, '127.64.1.40', 5432)).toBe(false);
  });

  it('the same selectors as two elements: any pod of alice, or role=client pods of the policy’s namespace (OR)', () => {
    const { w, aliceClient, aliceOther, bobClient, localClient } = world();
    w.policy('or', {
      podSelector: { matchLabels: { role: 'db' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { user: 'alice' } } },
            { podSelector: { matchLabels: { role: 'client' } } },
          ],
        },
      ],
    });
    expect(w.allowed(aliceClient, '127.64.1.40', 5432)).toBe(true);
    expect(w.allowed(aliceOther, '127.64.1.40', 5432)).toBe(true);
    expect(w.allowed(localClient, '127.64.1.40', 5432)).toBe(true);
    expect(w.allowed(bobClient, '127.64.1.40', 5432)).toBe(false);
  });

  it('namespaceSelector with matchExpressions, and the kubernetes.io/metadata.name label', () => {
    const { w, aliceClient, bobClient } = world();
    w.policy('not-bob', {
      podSelector: {},
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchExpressions: [
                  { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['bob'] },
                ],
              },
            },
          ],
        },
      ],
    });
    expect(w.allowed(aliceClient, '127.64.1.40', 80)).toBe(true);
    expect(w.allowed(bobClient, '127.64.1.40', 80)).toBe(false);
  });

  it('a policy selects pods of its own namespace only', () => {
    const { w, aliceClient } = world();
    w.policy('deny-in-alice', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'alice');
    expect(w.allowed(aliceClient, '127.64.1.40', 80)).toBe(false); // alice's egress
    const db = w.index.pod('default', 'db') as PodInfo;
    expect(w.check(db, '127.64.1.41', 80)).toMatchObject({ allowed: true });
  });

  it('ipBlock 0.0.0.0/0 except 169.254.169.254/32: pod IPs match too (as Calico), the metadata address does not', () => {
    const { w, localClient } = world();
    w.policy('no-imds', {
      podSelector: { matchLabels: { role: 'client' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
    });
    expect(w.allowed(localClient, '169.254.169.254', 80)).toBe(false);
    expect(w.allowed(localClient, '169.254.169.253', 80)).toBe(true);
    expect(w.allowed(localClient, '127.64.1.40', 5432)).toBe(true);
    expect(w.allowed(localClient, '10.96.0.10', 53, 'UDP')).toBe(true);
  });

  it('an IPv6 block does not take in IPv4 addresses; a malformed one matches nothing', () => {
    expect(new CidrBlock({ cidr: '::/0' }).contains('10.0.0.1')).toBe(false);
    expect(new CidrBlock({ cidr: '::/0' }).contains('fd00::1')).toBe(true);
    expect(new CidrBlock({ cidr: 'fd00::/8', except: ['fd00::/16'] }).contains('fd00::1')).toBe(false);
    expect(new CidrBlock({ cidr: '10.0.0.0' }).contains('10.0.0.0')).toBe(false);
    expect(new CidrBlock({ cidr: '10.0.0.0/33' }).contains('10.0.0.0')).toBe(false);
  });
});

describe('ports', () => {
  it('multi-port-egress: TCP 32000 through endPort 32768 to 10.0.0.0/24', () => {
    const w = new World();
    const db = w.pod('db', { labels: { role: 'db' }, ip: '127.64.1.50' });
    w.policy('multi-port-egress', {
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ ipBlock: { cidr: '10.0.0.0/24' } }],
          ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }],
        },
      ],
    });
    expect(w.allowed(db, '10.0.0.1', 32000)).toBe(true);
    expect(w.allowed(db, '10.0.0.1', 32500)).toBe(true);
    expect(w.allowed(db, '10.0.0.1', 32768)).toBe(true);
    expect(w.allowed(db, '10.0.0.1', 31999)).toBe(false);
    expect(w.allowed(db, '10.0.0.1', 32769)).toBe(false);
    expect(w.allowed(db, '10.0.0.1', 32500, 'UDP')).toBe(false);
  });

  it('a port entry with only a protocol matches every port of it; a missing protocol means TCP', () => {
    const w = new World();
    const a = w.pod('a', { ip: '127.64.1.51' });
    w.policy('udp-only', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ ports: [{ protocol: 'UDP' }] }],
    });
    w.policy('tcp-443', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 443 }] }] });
    expect(w.allowed(a, '10.0.0.1', 53, 'UDP')).toBe(true);
    expect(w.allowed(a, '10.0.0.1', 5353, 'UDP')).toBe(true);
    expect(w.allowed(a, '10.0.0.1', 443)).toBe(true);
    expect(w.allowed(a, '10.0.0.1', 443, 'UDP')).toBe(true); // udp-only
    expect(w.allowed(a, '10.0.0.1', 80)).toBe(false);
  });

  it('named ports resolve against the destination pod’s declared ports, in ingress and in egress', () => {
    const w = new World();
    const client = w.pod('client', { labels: { app: 'client' }, ip: '127.64.1.60' });
    w.pod('web', {
      labels: { app: 'web' },
      ip: '127.64.1.61',
      ports: [
        { name: 'http', containerPort: 8080 },
        { name: 'dns', containerPort: 5353, protocol: 'UDP' },
      ],
    });
    w.pod('api', {
      labels: { app: 'api' },
      ip: '127.64.1.62',
      ports: [{ name: 'http', containerPort: 9090 }],
    });
    w.policy('web-http', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ ports: [{ port: 'http' }, { port: 'dns', protocol: 'UDP' }] }],
    });
    expect(w.allowed(client, '127.64.1.61', 8080)).toBe(true);
    expect(w.allowed(client, '127.64.1.61', 9090)).toBe(false);
    expect(w.allowed(client, '127.64.1.61', 5353, 'UDP')).toBe(true);
    expect(w.allowed(client, '127.64.1.61', 5353)).toBe(false); // the name is UDP's

    // Egress: `http` is 8080 on web and 9090 on api; an external address has no names.
    w.policy('client-out', {
      podSelector: { matchLabels: { app: 'client' } },
      policyTypes: ['Egress'],
      egress: [{ ports: [{ port: 'http', protocol: 'TCP' }] }],
    });
    expect(w.allowed(client, '127.64.1.61', 8080)).toBe(true);
    expect(w.allowed(client, '127.64.1.62', 9090)).toBe(true);
    expect(w.allowed(client, '127.64.1.62', 8080)).toBe(false);
    expect(w.allowed(client, '10.0.0.1', 8080)).toBe(false);
  });
});

describe('who is subject', () => {
  it('the kubelet (its node) always reaches the pods of its node; another node is an ipBlock peer like any address', () => {
    const w = new World();
    w.pod('web', { ip: '127.64.1.70', node: 'worker-1' });
    w.policy('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(w.check(node('worker-1'), '127.64.1.70', 8080)).toMatchObject({
      allowed: true,
      egress: { outcome: 'not-subject' },
      ingress: { outcome: 'local-node' },
    });
    expect(w.allowed(node('worker-2'), '127.64.1.70', 8080)).toBe(false);
    w.policy('nodes', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '127.18.0.0/16' } }] }] });
    expect(w.allowed(node('worker-2'), '127.64.1.70', 8080)).toBe(true);
  });

  it('a pod reaches its own node and itself under a default deny, not other nodes', () => {
    const w = new World();
    const web = w.pod('web', { ip: '127.64.1.71', node: 'worker-1' });
    w.policy('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(w.check(web, '127.18.0.3', 10250).egress).toMatchObject({ outcome: 'local-node' });
    expect(w.allowed(web, '127.18.0.4', 10250)).toBe(false);
    expect(w.check(web, '127.64.1.71', 8080)).toMatchObject({
      allowed: true,
      egress: { outcome: 'self' },
      ingress: { outcome: 'self' },
    });
  });

  it('hostNetwork pods are not subject, and pod selectors do not match them as peers', () => {
    const w = new World();
    w.pod('web', { labels: { app: 'web' }, ip: '127.64.1.72', node: 'worker-1' });
    w.pod('agent', { labels: { app: 'agent' }, ip: '127.18.0.4', node: 'worker-2', hostNetwork: true });
    w.policy('from-agent', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'agent' } } }] }],
    });
    w.policy('deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    // The sim network gives a hostNetwork pod's connections kind `node`.
    const fromAgent: Party = {
      kind: 'node',
      ip: '127.18.0.4',
      nodeName: 'worker-2',
    };
    expect(w.check(fromAgent, '127.64.1.72', 8080)).toMatchObject({
      allowed: false,
      egress: { outcome: 'not-subject' },
      ingress: { outcome: 'denied' },
    });
    expect(w.allowed(fromAgent, '169.254.169.254', 80)).toBe(true);
    // Its address is the node's: no pod there for ingress policies.
    expect(w.index.podAt('127.18.0.4')).toBeUndefined();
  });

  it('the host outside the sim is an ipBlock peer by its own address', () => {
    const w = new World();
    w.pod('web', { ip: '127.64.1.73' });
    w.policy('from-loopback', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '127.0.0.1/32' } }] }],
    });
    expect(w.allowed(host('127.0.0.1'), '127.64.1.73', 8080)).toBe(true);
    expect(w.allowed(host('127.0.0.2'), '127.64.1.73', 8080)).toBe(false);
  });
});

describe('the index', () => {
  it('a label change moves a pod in and out of a policy’s selection', () => {
    const w = new World();
    const client = w.pod('client', { ip: '127.64.1.80' });
    w.pod('web', { labels: { app: 'web' }, ip: '127.64.1.81' });
    w.policy('web-locked', { podSelector: { matchLabels: { app: 'web' } }, ingress: [] });
    expect(w.allowed(client, '127.64.1.81', 80)).toBe(false);
    w.pod('web', { labels: { app: 'web-v2' }, ip: '127.64.1.81' });
    expect(w.allowed(client, '127.64.1.81', 80)).toBe(true);
    w.pod('web', { labels: { app: 'web' }, ip: '127.64.1.81' });
    expect(w.allowed(client, '127.64.1.81', 80)).toBe(false);
  });

  it('a finished pod gives its IP back; a deleted one leaves the index', () => {
    const w = new World();
    w.pod('old', { ip: '127.64.1.90' });
    w.index.applyPod('MODIFIED', {
      metadata: { name: 'old', namespace: 'default' },
      spec: { nodeName: 'worker-1', containers: [] },
      status: { phase: 'Succeeded', podIP: '127.64.1.90' },
    } as Pod);
    expect(w.index.podAt('127.64.1.90')).toBeUndefined();
    const fresh = w.pod('fresh', { ip: '127.64.1.90' });
    expect(w.index.podAt('127.64.1.90')).toBe(fresh);
    w.index.applyPod('DELETED', {
      metadata: { name: 'fresh', namespace: 'default' },
      spec: { containers: [] },
      status: { podIP: '127.64.1.90' },
    } as Pod);
    expect(w.index.podAt('127.64.1.90')).toBeUndefined();
    expect(w.index.pod('default', 'fresh')).toBeUndefined();
  });
});
