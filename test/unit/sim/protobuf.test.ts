/**
 * Kubernetes protobuf request bodies and the protobuf OpenAPI v2 document.
 *
 * The decoder is checked against bodies recorded from the real kubectl binaries
 * (test/fixtures/protobuf/capture.ts): kubectl 1.31 sends JSON for the same commands that 1.32
 * and 1.33 send as protobuf, so the 1.31 JSON is what the protobuf must decode to. When the
 * binaries are on this machine, the same is exercised live through a stand-in for the server
 * wiring (a proxy in front of the simulated cluster).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import type { Writer } from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { decodeKubernetesProtobuf, ProtobufError } from '../../../src/sim/api/protobuf/kubernetes.ts';
import {
  acceptsOpenApiV2Protobuf,
  OPENAPI_V2_DOCUMENT,
  OPENAPI_V2_PROTOBUF,
  openApiV2Protobuf,
} from '../../../src/sim/api/protobuf/openapi-v2.ts';
import { type SimCluster, startSimCluster } from '../../../src/sim/cluster.ts';
import { RESOURCES, resourceAt, type ResourceType } from '../../../src/sim/kinds/registry.ts';
import type { Capture } from '../../fixtures/protobuf/capture.ts';
import { findKubectl, kubectlRunner } from '../../support/kubectl.ts';

type Json = Record<string, unknown>;
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/protobuf/kubectl-bodies.json', import.meta.url), 'utf8'),
) as { versions: string[]; captures: Capture[] };
const capture = (name: string): Capture => {
  const c = fixture.captures.find((x) => x.name === name);
  if (!c) throw new Error(`no capture "${name}"`);
  return c;
};
const body = (c: Capture, version: string): string => {
  const b = c.requests[version]?.body;
  if (b === undefined) throw new Error(`no ${version} body for "${c.name}"`);
  return b;
};
const decoded = (c: Capture, version: string): Json =>
  decodeKubernetesProtobuf(Buffer.from(body(c, version), 'base64'));

describe('decodeKubernetesProtobuf: bodies recorded from kubectl', () => {
  const pairs = fixture.captures.filter(
    (c) =>
      c.requests['1.31']?.contentType === 'application/json' &&
      c.requests['1.32']?.contentType === PROTOBUF &&
      c.requests['1.31'].path === c.requests['1.33']?.path,
  );

  it('covers the typed create commands', () => {
    expect(pairs.map((c) => c.name)).toEqual([
      'create namespace',
      'create configmap',
      'create secret generic',
      'create secret docker-registry',
      'create deployment',
      'create service clusterip',
      'create service nodeport',
      'create service externalname',
      'create pdb min-available',
      'create pdb max-unavailable',
      'create job',
      'create cronjob',
      'create serviceaccount',
      'create quota',
      'create ingress',
      'create job from rich cronjob',
    ]);
  });

  for (const c of pairs) {
    for (const version of ['1.32', '1.33']) {
      it(`${c.name}: kubectl ${version} protobuf decodes to kubectl 1.31's JSON`, () => {
        expect(decoded(c, version)).toStrictEqual(JSON.parse(body(c, '1.31')));
      });
    }
  }

  it('spells out the JSON form: omitempty, pointers, Time, IntOrString, Quantity, []byte', () => {
    expect(decoded(capture('create secret generic'), '1.32')).toStrictEqual({
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 's', namespace: 'default', creationTimestamp: null },
      data: { p: Buffer.from('q').toString('base64') },
    });
    expect(decoded(capture('create configmap'), '1.33')).toMatchObject({ data: { a: 'b', empty: '' } });
    expect(decoded(capture('create pdb min-available'), '1.33')).toStrictEqual({
      kind: 'PodDisruptionBudget',
      apiVersion: 'policy/v1',
      metadata: { name: 'p', namespace: 'default', creationTimestamp: null },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } } },
      // No omitempty on these upstream, so the zeroes are kept as encoding/json keeps them.
      status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
    });
    expect(decoded(capture('create pdb max-unavailable'), '1.33')).toMatchObject({
      spec: { maxUnavailable: '50%' },
    });
    expect(decoded(capture('create quota'), '1.32')).toMatchObject({
      spec: { hard: { cpu: '1', memory: '1G', pods: '2' } },
    });
    expect(decoded(capture('create service clusterip'), '1.32')).toMatchObject({
      spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }] },
    });
  });

  it('decodes a full pod template (the rich cronjob copied by create job --from)', () => {
    const job = decoded(capture('create job from rich cronjob'), '1.33') as {
      spec: { template: { spec: Json & { containers: Json[]; volumes: Json[] } } };
    };
    const spec = job.spec.template.spec;
    expect(spec).toMatchObject({
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 45,
      serviceAccountName: 'runner',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      priorityClassName: 'high',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      securityContext: {
        runAsUser: 1000,
        fsGroup: 2000,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 30,
        },
      ],
    });
    expect(spec.volumes.map((v) => Object.keys(v).filter((k) => k !== 'name')[0])).toEqual([
      'emptyDir',
      'configMap',
      'secret',
      'persistentVolumeClaim',
      'hostPath',
      'projected',
      'downwardAPI',
    ]);
    expect(spec.containers[0]).toMatchObject({
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5 },
      readinessProbe: { tcpSocket: { port: 8080 } },
      resources: { limits: { cpu: '500m', memory: '256Mi' } },
      env: expect.arrayContaining([{ name: 'EMPTY' }, { name: 'PLAIN', value: 'x' }]),
    });
  });

  it('decodes kubectl autoscale: 1.33 writes autoscaling/v2, 1.32 autoscaling/v1', () => {
    expect(decoded(capture('autoscale'), '1.33')).toStrictEqual({
      kind: 'HorizontalPodAutoscaler',
      apiVersion: 'autoscaling/v2',
      metadata: { name: 'target', creationTimestamp: null },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'target', apiVersion: 'apps/v1' },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
          },
        ],
      },
      status: { desiredReplicas: 0 },
    });
    expect(decoded(capture('autoscale'), '1.32')).toStrictEqual({
      kind: 'HorizontalPodAutoscaler',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'target', creationTimestamp: null },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'target', apiVersion: 'apps/v1' },
        minReplicas: 1,
        maxReplicas: 3,
        targetCPUUtilizationPercentage: 50,
      },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    });
    expect(() => decodeKubernetesProtobuf(Buffer.from('k8s\0', 'latin1'))).toThrow(ProtobufError);
  });

  it('records where protobuf starts: typed-client writes from 1.32; drain evictions stay JSON', () => {
    for (const c of fixture.captures) {
      for (const [version, r] of Object.entries(c.requests)) {
        const protobufExpected = c.name !== 'drain eviction' && version >= '1.32';
        expect(r.contentType, `${c.name} in kubectl ${version}`).toBe(
          protobufExpected ? PROTOBUF : 'application/json',
        );
      }
    }
    expect(JSON.parse(body(capture('drain eviction'), '1.33'))).toMatchObject({
      kind: 'Eviction',
      apiVersion: 'policy/v1',
      metadata: { name: 'victim', namespace: 'default' },
      deleteOptions: {},
    });
  });
});

/** Builds protobuf by hand for what kubectl never sends as protobuf (numbers from upstream generated.proto). */
function pb(build: (w: Writer) => void): Uint8Array {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
}
const str = (w: Writer, field: number, s: string) => w.uint32((field << 3) | 2).string(s);
const bytes = (w: Writer, field: number, b: Uint8Array) => w.uint32((field << 3) | 2).bytes(b);
const varint = (w: Writer, field: number, n: number) => w.uint32(field << 3).int64(n);
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const unknown = pb((w) => {
    bytes(
      w,
      1,
      pb((t) => (str(t, 1, apiVersion), str(t, 2, kind))),
    );
    bytes(w, 2, raw);
  });
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}
const meta = (name: string, namespace = '') => pb((w) => (str(w, 1, name), str(w, 3, namespace)));

describe('decodeKubernetesProtobuf: hand-built messages', () => {
  const deleteOptions = pb((w) => {
    varint(w, 1, 0); // gracePeriodSeconds: a pointer, so 0 is kept
    bytes(
      w,
      2,
      pb((p) => str(p, 1, 'uid-1')),
    ); // preconditions.uid
    str(w, 4, 'Foreground');
    str(w, 5, 'All');
  });

  it('decodes a policy/v1 Eviction with DeleteOptions', () => {
    const raw = pb((w) => (bytes(w, 1, meta('web-0', 'default')), bytes(w, 2, deleteOptions)));
    expect(decodeKubernetesProtobuf(envelope('policy/v1', 'Eviction', raw))).toStrictEqual({
      kind: 'Eviction',
      apiVersion: 'policy/v1',
      metadata: { name: 'web-0', namespace: 'default' },
      deleteOptions: {
        gracePeriodSeconds: 0,
        preconditions: { uid: 'uid-1' },
        propagationPolicy: 'Foreground',
        dryRun: ['All'],
      },
    });
  });

  it('decodes DeleteOptions under whichever group version the client encoded it', () => {
    for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
      expect(decodeKubernetesProtobuf(envelope(apiVersion, 'DeleteOptions', deleteOptions))).toMatchObject({
        kind: 'DeleteOptions',
        apiVersion,
        gracePeriodSeconds: 0,
      });
    }
  });

  it('decodes a Binding', () => {
    const raw = pb((w) => {
      bytes(w, 1, meta('web-0', 'default'));
      bytes(
        w,
        2,
        pb((t) => (str(t, 1, 'Node'), str(t, 3, 'worker-1'), str(t, 5, 'v1'))),
      );
    });
    expect(decodeKubernetesProtobuf(envelope('v1', 'Binding', raw))).toStrictEqual({
      kind: 'Binding',
      apiVersion: 'v1',
      metadata: { name: 'web-0', namespace: 'default' },
      target: { kind: 'Node', name: 'worker-1', apiVersion: 'v1' },
    });
  });

  it('decodes Time, MicroTime, FieldsV1 and packed repeated scalars', () => {
    const ts = (seconds: number, nanos = 0) =>
      pb((w) => (varint(w, 1, seconds), w.uint32(2 << 3).int32(nanos)));
    const objectMeta = pb((w) => {
      str(w, 1, 'holder');
      bytes(w, 8, ts(1_700_000_000));
      bytes(w, 9, ts(1_700_000_060));
      bytes(
        w,
        17,
        pb((m) => {
          str(m, 1, 'kubectl');
          str(m, 2, 'Update');
          bytes(
            m,
            7,
            pb((f) => bytes(f, 1, Buffer.from('{"f:spec":{}}'))),
          );
        }),
      );
    });
    const lease = pb((w) => {
      bytes(w, 1, objectMeta);
      bytes(
        w,
        2,
        pb((s) => {
          str(s, 1, 'node-a');
          bytes(s, 3, ts(1_700_000_000, 123_456_789));
        }),
      );
    });
    expect(decodeKubernetesProtobuf(envelope('coordination.k8s.io/v1', 'Lease', lease))).toStrictEqual({
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      metadata: {
        name: 'holder',
        creationTimestamp: '2023-11-14T22:13:20Z',
        deletionTimestamp: '2023-11-14T22:14:20Z',
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
      },
      spec: { holderIdentity: 'node-a', acquireTime: '2023-11-14T22:13:20.123456Z' },
    });

    // PodSecurityContext.supplementalGroups (field 4), packed although gogo writes it unpacked.
    const podSpec = pb((w) =>
      bytes(
        w,
        14,
        pb((s) =>
          bytes(
            s,
            4,
            pb((p) => p.int64(1).int64(2)),
          ),
        ),
      ),
    );
    const pod = pb((w) => (bytes(w, 1, meta('p')), bytes(w, 2, podSpec)));
    expect(decodeKubernetesProtobuf(envelope('v1', 'Pod', pod))).toMatchObject({
      spec: { securityContext: { supplementalGroups: [1, 2] } },
    });
  });

  it('refuses what it cannot decode faithfully', () => {
    const cm = (extra: (w: Writer) => void) =>
      envelope(
        'v1',
        'ConfigMap',
        pb((w) => (bytes(w, 1, meta('c')), extra(w))),
      );
    expect(() => decodeKubernetesProtobuf(cm((w) => str(w, 99, 'x')))).toThrow(
      /core.ConfigMap.*no field number 99/,
    );
    // A volume plugin left out of the tables (awsElasticBlockStore = 4) is refused, not dropped.
    const volume = pb(
      (w) => (
        str(w, 1, 'v'),
        bytes(
          w,
          2,
          pb((s) =>
            bytes(
              s,
              4,
              pb((a) => str(a, 1, 'vol-1')),
            ),
          ),
        )
      ),
    );
    const pod = envelope(
      'v1',
      'Pod',
      pb((w) =>
        bytes(
          w,
          2,
          pb((s) => bytes(s, 1, volume)),
        ),
      ),
    );
    expect(() => decodeKubernetesProtobuf(pod)).toThrow(/core.VolumeSource\) has no field number 4/);
    expect(() => decodeKubernetesProtobuf(envelope('example.com/v1', 'Widget', meta('w')))).toThrow(
      new ProtobufError('no protobuf decoding for example.com/v1, Kind=Widget'),
    );
    expect(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"ConfigMap"}'))).toThrow(ProtobufError);
    expect(() => decodeKubernetesProtobuf(cm((w) => w.uint32((2 << 3) | 2).uint32(50)))).toThrow(
      ProtobufError,
    );
    expect(() => decodeKubernetesProtobuf(cm((w) => varint(w, 2, 1)))).toThrow(/wire type 0, expected 2/);
  });
});

describe('openApiV2Protobuf', () => {
  const doc = OPENAPI_V2_DOCUMENT.toObject(OPENAPI_V2_DOCUMENT.decode(openApiV2Protobuf(RESOURCES)), {
    defaults: false,
  }) as {
    swagger: string;
    info: Json;
    definitions?: Json;
    paths: {
      path: { name: string; value: { patch: Json & { parameters: Json[]; vendor_extension: Json[] } } }[];
    };
  };
  const pathFor = (name: string) => doc.paths.path.find((p) => p.name === name)?.value.patch;

  it('has one PATCH operation per served resource, tagged with its group/version/kind', () => {
    expect(doc.swagger).toBe('2.0');
    expect(doc.paths.path).toHaveLength(RESOURCES.length);
    const pods = pathFor('/api/v1/namespaces/{namespace}/pods/{name}');
    expect(pods?.vendor_extension).toEqual([
      { name: 'x-kubernetes-action', value: { yaml: 'patch\n' } },
      { name: 'x-kubernetes-group-version-kind', value: { yaml: 'group: ""\nkind: Pod\nversion: v1\n' } },
    ]);
    const deployments = pathFor('/apis/apps/v1/namespaces/{namespace}/deployments/{name}');
    expect(parseYaml(String((deployments?.vendor_extension[1]?.value as Json).yaml))).toEqual({
      group: 'apps',
      kind: 'Deployment',
      version: 'v1',
    });
    expect(pathFor('/api/v1/nodes/{name}')).toBeDefined();
    expect(pathFor('/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets/{name}')).toBeDefined();
  });

  it('declares fieldValidation as a query parameter where query_param_verifier.go looks', () => {
    const names = pathFor('/api/v1/namespaces/{namespace}/configmaps/{name}')?.parameters.map(
      (p) =>
        (((p.parameter as Json).non_body_parameter as Json).query_parameter_sub_schema as Json | undefined)
          ?.name,
    );
    expect(names).toContain('fieldValidation');
    expect(doc.definitions ?? {}).toEqual({});
  });

  it('is a pure function of the resources', () => {
    expect(openApiV2Protobuf(RESOURCES).equals(openApiV2Protobuf(RESOURCES))).toBe(true);
  });
});

/**
 * The wiring the API server needs, as a proxy in front of the simulated cluster: protobuf request
 * bodies become JSON, and GET /openapi/v2 asking for protobuf gets openApiV2Protobuf.
 */
async function wiredProxy(
  sim: SimCluster,
): Promise<{ server: Server; url: string; log: { method: string; url: string; accept: string }[] }> {
  const upstream = new URL(sim.url);
  const openapi = openApiV2Protobuf(RESOURCES);
  const log: { method: string; url: string; accept: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      log.push({ method: req.method ?? '', url: req.url ?? '', accept: String(req.headers.accept ?? '') });
      let payload = Buffer.concat(chunks);
      const headers = { ...req.headers };
      if (req.url?.split('?')[0] === '/openapi/v2' && acceptsOpenApiV2Protobuf(req.headers.accept)) {
        res
          .writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF, 'Content-Length': openapi.length })
          .end(openapi);
        return;
      }
      if ((headers['content-type'] ?? '').split(';')[0]?.trim() === PROTOBUF) {
        try {
          payload = Buffer.from(JSON.stringify(decodeKubernetesProtobuf(payload)));
        } catch (error) {
          res.writeHead(415, { 'Content-Type': 'text/plain' }).end(String(error));
          return;
        }
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      }
      const up = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

const NEW = [findKubectl('1.32') ?? findKubectl('default'), findKubectl('1.33')].filter(
  (b) => b !== undefined,
);
const VALIDATING = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33']
  .map((v) => findKubectl(v))
  .filter((b) => b !== undefined);

describe.skipIf(NEW.length + VALIDATING.length === 0)('real kubectl through the wiring', () => {
  let sim: SimCluster;
  let proxy: Awaited<ReturnType<typeof wiredProxy>>;
  let kubeconfig: string;
  const need = (apiVersion: string, plural: string): ResourceType => {
    const r = resourceAt(apiVersion, plural);
    if (!r) throw new Error(`${apiVersion}/${plural} is not served`);
    return r;
  };

  beforeAll(async () => {
    sim = await startSimCluster({ tls: false, nodes: 1 });
    proxy = await wiredProxy(sim);
    const config = sim.kubeconfig();
    (config.clusters[0] as { cluster: Record<string, string> }).cluster.server = proxy.url;
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'scars-protobuf-')), 'kubeconfig');
    writeFileSync(kubeconfig, stringify(config));
  });
  afterAll(async () => {
    proxy?.server.close();
    await sim?.stop();
  });

  for (const bin of NEW) {
    it(`kubectl ${bin.version} typed creates (protobuf bodies) succeed`, { timeout: 120_000 }, async () => {
      const kubectl = kubectlRunner(bin, kubeconfig);
      const ns = `pb-${bin.version.replace('.', '')}-${Math.random().toString(36).slice(2, 6)}`;
      await kubectl.ok(['create', 'namespace', ns]);
      for (const args of [
        ['create', 'configmap', 'c', '--from-literal=a=b'],
        ['create', 'secret', 'generic', 's', '--from-literal=p=q'],
        ['create', 'deployment', 'd', '--image=nginx', '--replicas=2', '--port=80'],
        ['create', 'service', 'clusterip', 'svc', '--tcp=80:8080'],
        ['create', 'pdb', 'p', '--selector=app=x', '--min-available=1'],
        ['create', 'job', 'j', '--image=busybox'],
        ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *'],
        ['create', 'serviceaccount', 'sa'],
      ]) {
        await kubectl.ok(['-n', ns, ...args]);
      }
      expect(sim.registry.get(need('v1', 'secrets'), ns, 's').data).toEqual({ p: 'cQ==' });
      expect(sim.registry.get(need('apps/v1', 'deployments'), ns, 'd').spec).toMatchObject({ replicas: 2 });
      expect(sim.registry.get(need('v1', 'services'), ns, 'svc').spec).toMatchObject({
        ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
      });
    });
  }

  for (const bin of VALIDATING) {
    it(
      `kubectl ${bin.version} create -f and apply -f validate on the server`,
      { timeout: 120_000 },
      async () => {
        const kubectl = kubectlRunner(bin, kubeconfig);
        const name = `v-${bin.version.replace('.', '')}`;
        const deployment = (image: string) => ({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, namespace: 'default' },
          spec: {
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: {
                containers: [
                  { name: 'web', image, ports: [{ containerPort: 80 }] },
                  { name: 'side', image: 'busybox' },
                ],
              },
            },
          },
        });
        const configMap = (value: string) => ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'default' },
          data: { a: value },
        });
        const manifest = (value: string, image: string) =>
          `${stringify(configMap(value))}---\n${stringify(deployment(image))}`;
        proxy.log.length = 0;
        await kubectl.ok(['create', '-f', '-'], manifest('b', 'nginx:1'));
        await kubectl.ok(['apply', '-f', '-'], manifest('c', 'nginx:2'));
        const writes = proxy.log.filter((r) => r.method !== 'GET').map((r) => r.url);
        expect(writes.length).toBe(4);
        expect(
          writes.every((u) => u.includes('fieldValidation=Strict')),
          writes.join('\n'),
        ).toBe(true);
        expect(sim.registry.get(need('v1', 'configmaps'), 'default', name).data).toEqual({ a: 'c' });
        // The patch was computed with the compiled-in merge keys: containers merged by name, none duplicated.
        const spec = sim.registry.get(need('apps/v1', 'deployments'), 'default', name).spec as {
          template: { spec: { containers: { name: string; image: string }[] } };
        };
        expect(spec.template.spec.containers.map((c) => [c.name, c.image])).toEqual([
          ['web', 'nginx:2'],
          ['side', 'busybox'],
        ]);
      },
    );
  }
});
