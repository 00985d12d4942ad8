/** Kubernetes semantics the rules follow, each on a small inline manifest set. */
import { describe, expect, it } from 'vitest';
import { LineCounter } from 'yaml';
import { auditSources, type Finding } from '../../src/audit/index.ts';
import { hostNames, expandsExternally } from '../../src/audit/rules/dns.ts';
import { cidrContains, imdsAllowedBy, policyTypes } from '../../src/audit/rules/egress.ts';

const NOW = new Date('2026-06-01T00:00:00Z');

function audit(text: string): Finding[] {
  const source = { display: 'inline.yaml', uri: 'inline.yaml', text, lineCounter: new LineCounter() };
  return auditSources([source], { now: NOW, certDays: 30 }).findings;
}
const ids = (findings: Finding[]) => [...new Set(findings.map((f) => f.ruleId))].sort();

const DENY_IMDS = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]}]
`;

function pod(spec: string, labels = '{app: x}'): string {
  return `
apiVersion: v1
kind: Pod
metadata: {name: x, labels: ${labels}}
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
${DENY_IMDS}`;
}

const RESOURCES = 'resources: {requests: {cpu: 10m, memory: 64Mi}, limits: {memory: 128Mi}}';

describe('resources', () => {
  it('takes limits from a LimitRange default, or its max when there is no default', () => {
    const base = pod(`containers: [{name: c, image: i, resources: {requests: {cpu: 10m, memory: 64Mi}}}]`);
    expect(ids(audit(base))).toEqual(['memory-limit-missing']);
    const withMax = `${base}---
apiVersion: v1
kind: LimitRange
metadata: {name: lr}
spec: {limits: [{type: Container, max: {memory: 128Mi}}]}
`;
    expect(ids(audit(withMax))).toEqual([]);
    // A Pod-type item does not default containers.
    expect(ids(audit(withMax.replace('type: Container', 'type: Pod')))).toEqual(['memory-limit-missing']);
  });

  it('defaults requests to limits, and counts pod-level resources', () => {
    expect(
      ids(audit(pod(`containers: [{name: c, image: i, resources: {limits: {cpu: 100m, memory: 64Mi}}}]`))),
    ).toEqual([]);
    const podLevel = pod(`
resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
containers: [{name: c, image: i}]`);
    expect(ids(audit(podLevel))).toEqual([]);
  });

  it('compares memory in bytes across units', () => {
    const f = audit(
      pod(
        `containers: [{name: c, image: i, resources: {requests: {cpu: 1m, memory: 1G}, limits: {memory: 2Gi}}}]`,
      ),
    );
    // 2Gi / 1G = 2.147…: more than twice.
    expect(ids(f)).toEqual(['memory-limit-ratio']);
    expect(f[0]?.message).toContain('2.1x');
  });

  it('sees a BestEffort monitoring pod by its image', () => {
    const f = audit(pod(`containers: [{name: c, image: "docker.io/fluent/fluent-bit:3.0"}]`));
    expect(ids(f)).toContain('critical-besteffort');
    expect(f.find((x) => x.ruleId === 'critical-besteffort')?.message).toContain(
      'image docker.io/fluent/fluent-bit:3.0',
    );
  });
});

describe('disruption budgets', () => {
  const deploy = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i, ${RESOURCES}}]}
${DENY_IMDS}`;
  const pdb = (spec: string) => `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: ${spec}
`;

  it('an empty selector covers every pod of the namespace; a missing one none', () => {
    expect(ids(audit(`${deploy(2)}${pdb('{maxUnavailable: 1, selector: {}}')}`))).toEqual([]);
    expect(ids(audit(`${deploy(2)}${pdb('{maxUnavailable: 1}')}`))).toEqual(['pdb-missing']);
  });

  it('a single replica needs no budget, and minAvailable 1 of 1 is not judged without a second replica', () => {
    expect(ids(audit(deploy(1)))).toEqual([]);
  });

  it('rounds minAvailable percentages up, as the disruption controller does', () => {
    const at = (pct: string, replicas: number) =>
      ids(
        audit(`${deploy(replicas)}${pdb(`{minAvailable: "${pct}", selector: {matchLabels: {app: web}}}`)}`),
      );
    expect(at('67%', 3)).toEqual(['pdb-blocks-eviction']); // ceil(2.01) = 3
    expect(at('66%', 3)).toEqual([]); // ceil(1.98) = 2
  });

  it('a budget for pods in another namespace covers nothing here', () => {
    const other = pdb('{maxUnavailable: 1, selector: {}}').replace(
      'name: web}',
      'name: web, namespace: other}',
    );
    expect(ids(audit(`${deploy(2)}${other}`))).toEqual(['pdb-missing']);
  });
});

describe('probes', () => {
  it('treats tcpSocket, grpc and cheap paths (with a query) as cheap', () => {
    for (const probe of [
      '{tcpSocket: {port: 80}, failureThreshold: 1}',
      '{grpc: {port: 9000}, failureThreshold: 1}',
      '{httpGet: {path: "/healthz?verbose=0", port: 80}, failureThreshold: 1}',
      '{httpGet: {path: /livez/, port: 80}, failureThreshold: 1}',
    ]) {
      expect(
        ids(audit(pod(`containers: [{name: c, image: i, ${RESOURCES}, livenessProbe: ${probe}}]`))),
        probe,
      ).toEqual([]);
    }
  });

  it('an explicit timeout above 1s is tolerant even with failureThreshold 1', () => {
    const p = '{httpGet: {path: /, port: 80}, failureThreshold: 1, timeoutSeconds: 2}';
    expect(ids(audit(pod(`containers: [{name: c, image: i, ${RESOURCES}, livenessProbe: ${p}}]`)))).toEqual(
      [],
    );
    const d = '{httpGet: {port: 80}, failureThreshold: 1}';
    expect(ids(audit(pod(`containers: [{name: c, image: i, ${RESOURCES}, livenessProbe: ${d}}]`)))).toEqual([
      'liveness-fragile',
    ]);
  });

  it('checks sidecars behind a Service by port, not plain init containers', () => {
    const text = `${pod(`
initContainers:
  - {name: setup, image: i, ${RESOURCES}}
  - {name: proxy, image: i, restartPolicy: Always, ports: [{containerPort: 15001}], ${RESOURCES}}
containers: [{name: c, image: i, ports: [{containerPort: 8080}], readinessProbe: {tcpSocket: {port: 8080}}, ${RESOURCES}}]`)}---
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {selector: {app: x}, ports: [{port: 80, targetPort: 15001}]}
`;
    const f = audit(text);
    expect(f.map((x) => `${x.ruleId} ${x.field}`)).toEqual([
      'readiness-missing spec.initContainers[1].readinessProbe',
    ]);
  });
});

describe('dns names', () => {
  it('finds URL hosts and bare host names, not paths, versions, emails or label keys', () => {
    expect(
      hostNames(
        'https://user:pw@api.example.com:443/x?y=1 --db=db.example.co.uk:5432 app.kubernetes.io/name a@b.com v1.2 run.sh',
      ),
    ).toEqual(['api.example.com', 'db.example.co.uk', 'run.sh']);
  });

  it('expands names with fewer dots than ndots, outside the cluster', () => {
    const ns = new Set(['shop']);
    expect(expandsExternally('api.example.com', 5, ns)).toBe(true);
    expect(expandsExternally('api.example.com', 2, ns)).toBe(false);
    expect(expandsExternally('api.example.com.', 5, ns)).toBe(false);
    expect(expandsExternally('web.shop', 5, ns)).toBe(false);
    expect(expandsExternally('web.shop.svc.cluster.local', 5, ns)).toBe(false);
    expect(expandsExternally('run.sh', 5, ns)).toBe(false);
    expect(expandsExternally('10.0.0.1', 5, ns)).toBe(false);
    expect(expandsExternally('metadata.google.internal', 5, ns)).toBe(true);
  });

  it('host-network pods with ClusterFirst use the node resolv.conf; ClusterFirstWithHostNet does not', () => {
    const env = `env: [{name: U, value: "https://api.example.com"}]`;
    const hostNet = (policy: string) =>
      ids(audit(pod(`hostNetwork: true\n${policy}containers: [{name: c, image: i, ${RESOURCES}, ${env}}]`)));
    expect(hostNet('')).toEqual([]);
    expect(hostNet('dnsPolicy: ClusterFirstWithHostNet\n')).toEqual(['ndots-external-names']);
  });
});

describe('egress to the metadata service', () => {
  it('CIDR containment', () => {
    expect(cidrContains('0.0.0.0/0', '169.254.169.254')).toBe(true);
    expect(cidrContains('169.254.0.0/16', '169.254.169.254')).toBe(true);
    expect(cidrContains('169.254.169.254/32', '169.254.169.254')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '169.254.169.254')).toBe(false);
    expect(cidrContains('::/0', '169.254.169.254')).toBe(false);
  });

  it('policy types default from the presence of egress rules', () => {
    expect(policyTypes({ spec: { podSelector: {}, egress: [{}] } })).toEqual(['Ingress', 'Egress']);
    expect(policyTypes({ spec: { podSelector: {}, egress: [] } })).toEqual(['Ingress']);
  });

  it('a rule lets the address through only on TCP 80 (or all ports) and without an except', () => {
    const allows = (egress: object[]) => imdsAllowedBy({ spec: { podSelector: {}, egress } }) !== undefined;
    const all = { ipBlock: { cidr: '0.0.0.0/0' } };
    expect(allows([{}])).toBe(true);
    expect(allows([{ to: [all] }])).toBe(true);
    expect(allows([{ to: [all], ports: [{ protocol: 'UDP', port: 53 }] }])).toBe(false);
    expect(allows([{ to: [all], ports: [{ port: 443 }] }])).toBe(false);
    expect(allows([{ to: [all], ports: [{ port: 1, endPort: 1024 }] }])).toBe(true);
    expect(allows([{ to: [{ ipBlock: { cidr: '169.254.0.0/16', except: ['169.254.169.254/32'] } }] }])).toBe(
      false,
    );
    expect(allows([{ to: [{ podSelector: {} }] }])).toBe(false);
  });

  it('policies add up: one allowing rule is enough to reach it', () => {
    const open = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open}
spec: {podSelector: {matchLabels: {app: x}}, egress: [{}]}
`;
    const f = audit(`${pod(`containers: [{name: c, image: i, ${RESOURCES}}]`)}${open}`);
    expect(f.map((x) => `${x.ruleId} ${x.object.name} ${x.field}`)).toEqual([
      'imds-egress-open open spec.egress[0]',
    ]);
    // The same policy selecting other pods changes nothing for these.
    expect(
      ids(
        audit(
          `${pod(`containers: [{name: c, image: i, ${RESOURCES}}]`)}${open.replace('app: x', 'app: other')}`,
        ),
      ),
    ).toEqual([]);
  });
});
