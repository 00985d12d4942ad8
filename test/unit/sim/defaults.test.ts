import { describe, expect, it } from 'vitest';
import { applyDefaults, imageTag } from '../../../src/sim/kinds/defaults.ts';
import type { KubeObject } from '../../../src/sim/object.ts';

type Json = Record<string, unknown>;
const obj = (
  apiVersion: string,
  kind: string,
  body: Json,
  metadata: Json = { name: 'x', namespace: 'default' },
): KubeObject => ({ apiVersion, kind, metadata, ...body }) as KubeObject;
const defaulted = (o: KubeObject): KubeObject => {
  applyDefaults(o.apiVersion, o.kind, o);
  return o;
};
const spec = (o: KubeObject): Json => o.spec as Json;

/** What `kubectl get -o yaml` shows for a template's pod spec with one plain container. */
const TEMPLATE_POD_SPEC = {
  containers: [
    {
      name: 'web',
      image: 'nginx:1.27',
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: {},
    },
  ],
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};
const template = (): Json => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
});

describe('Pod defaults (SetDefaults_Pod, SetDefaults_PodSpec, admission)', () => {
  const pod = (): KubeObject =>
    defaulted(
      obj('v1', 'Pod', {
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx',
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: '0.5', memory: '1024Mi' } },
              livenessProbe: { httpGet: { port: 80 } },
              readinessProbe: { grpc: { port: 9000 } },
              env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            },
          ],
        },
      }),
    );

  it('fills the pod spec fields kubectl get -o yaml shows', () => {
    const s = spec(pod());
    expect(s).toMatchObject({
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
    });
  });

  it('defaults containers, ports, probes and env field refs', () => {
    const [c] = spec(pod()).containers as Json[];
    expect(c).toMatchObject({
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      livenessProbe: {
        httpGet: { port: 80, path: '/', scheme: 'HTTP' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      readinessProbe: {
        grpc: { port: 9000, service: '' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      env: [{ name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
    });
  });

  it('copies limits to missing requests and prints quantities canonically', () => {
    const [c] = spec(pod()).containers as Json[];
    expect(c?.resources).toEqual({
      limits: { cpu: '500m', memory: '1Gi' },
      requests: { cpu: '500m', memory: '1Gi' },
    });
  });

  it('rounds resource quantities up to milli precision (SetDefaults_ResourceList)', () => {
    const p = defaulted(
      obj('v1', 'Pod', {
        spec: {
          containers: [{ name: 'a', image: 'a', resources: { requests: { cpu: '100u', memory: 1000 } } }],
        },
      }),
    );
    expect((spec(p).containers as Json[])[0]?.resources).toEqual({ requests: { cpu: '1m', memory: '1k' } });
  });

  it('adds the not-ready and unreachable tolerations (DefaultTolerationSeconds admission)', () => {
    expect(spec(pod()).tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    const tolerant = defaulted(
      obj('v1', 'Pod', { spec: { containers: [], tolerations: [{ operator: 'Exists' }] } }),
    );
    expect(spec(tolerant).tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('mounts the service account token volume (ServiceAccount admission)', () => {
    const s = spec(pod());
    const volumes = s.volumes as Json[];
    expect(volumes).toHaveLength(1);
    const volume = volumes[0] as Json;
    expect(volume.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(volume.projected).toEqual({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    });
    expect((s.containers as Json[])[0]?.volumeMounts).toEqual([
      { name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);
    const noToken = defaulted(
      obj('v1', 'Pod', {
        spec: { automountServiceAccountToken: false, containers: [{ name: 'a', image: 'a' }] },
      }),
    );
    expect(spec(noToken).volumes).toBeUndefined();
  });

  it('runs create-time admission only while the object has no uid', () => {
    const p = obj(
      'v1',
      'Pod',
      { spec: { containers: [{ name: 'a', image: 'a' }] } },
      { name: 'x', namespace: 'd', uid: 'u1' },
    );
    defaulted(p);
    expect(spec(p).serviceAccountName).toBeUndefined();
    expect(spec(p).priority).toBeUndefined();
    expect(spec(p).volumes).toBeUndefined();
    // DefaultTolerationSeconds admits updates as well.
    expect(spec(p).tolerations).toHaveLength(2);
  });

  it('is idempotent', () => {
    const p = pod();
    const again = structuredClone(p);
    defaulted(again);
    expect(again).toEqual(p);
  });

  it('defaults volumes and their modes', () => {
    const p = defaulted(
      obj('v1', 'Pod', {
        spec: {
          automountServiceAccountToken: false,
          containers: [],
          volumes: [
            { name: 'scratch' },
            { name: 'cfg', configMap: { name: 'c' } },
            { name: 's', secret: { secretName: 's' } },
            { name: 'h', hostPath: { path: '/x' } },
          ],
        },
      }),
    );
    expect(spec(p).volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
      { name: 's', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'h', hostPath: { path: '/x', type: '' } },
    ]);
  });

  it('gives system priority classes their values', () => {
    const p = defaulted(
      obj('v1', 'Pod', { spec: { priorityClassName: 'system-node-critical', containers: [] } }),
    );
    expect(spec(p).priority).toBe(2000001000);
  });
});

describe('imageTag (parsers.ParseImageName)', () => {
  it.each([
    ['nginx', 'latest'],
    ['nginx:latest', 'latest'],
    ['nginx:1.27', '1.27'],
    ['registry.k8s.io/pause:3.10', '3.10'],
    ['localhost:5000/app', 'latest'],
    ['localhost:5000/app:v1', 'v1'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', ''],
    ['Nginx', ''],
  ])('%s has tag %j', (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });
});

describe('workload defaults', () => {
  it('Deployment: replicas, rolling update 25%/25%, history and deadline, template', () => {
    const d = defaulted(
      obj('apps/v1', 'Deployment', {
        spec: { selector: { matchLabels: { app: 'web' } }, template: template() },
      }),
    );
    expect(spec(d)).toEqual({
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { metadata: { labels: { app: 'web' } }, spec: TEMPLATE_POD_SPEC },
    });
  });

  it('Deployment: a Recreate strategy gets no rollingUpdate', () => {
    const d = defaulted(
      obj('apps/v1', 'Deployment', { spec: { strategy: { type: 'Recreate' }, template: template() } }),
    );
    expect(spec(d).strategy).toEqual({ type: 'Recreate' });
  });

  it('pod templates get neither pod-only defaults nor admission', () => {
    const d = defaulted(
      obj('apps/v1', 'Deployment', {
        spec: {
          template: {
            spec: { containers: [{ name: 'a', image: 'a', resources: { limits: { cpu: '1' } } }] },
          },
        },
      }),
    );
    const podSpec = (spec(d).template as Json).spec as Json;
    expect(podSpec.enableServiceLinks).toBeUndefined();
    expect(podSpec.tolerations).toBeUndefined();
    expect(podSpec.serviceAccountName).toBeUndefined();
    expect((podSpec.containers as Json[])[0]?.resources).toEqual({ limits: { cpu: '1' } });
  });

  it('ReplicaSet: replicas', () => {
    expect(spec(defaulted(obj('apps/v1', 'ReplicaSet', { spec: { template: template() } }))).replicas).toBe(
      1,
    );
  });

  it('DaemonSet: rolling update 1/0 and history', () => {
    const ds = defaulted(obj('apps/v1', 'DaemonSet', { spec: { template: template() } }));
    expect(spec(ds)).toMatchObject({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    });
  });

  it('StatefulSet: policy, partition, retention, claim templates', () => {
    const sts = defaulted(
      obj('apps/v1', 'StatefulSet', {
        spec: {
          template: template(),
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } },
            },
          ],
        },
      }),
    );
    expect(spec(sts)).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      revisionHistoryLimit: 10,
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '1Gi' } },
            volumeMode: 'Filesystem',
          },
          status: { phase: 'Pending' },
        },
      ],
    });
  });

  it('Job: completions, parallelism, backoff, mode, selector generated from the uid', () => {
    const job = defaulted(
      obj(
        'batch/v1',
        'Job',
        {
          spec: {
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } },
          },
        },
        { name: 'pi', namespace: 'default' },
      ),
    );
    const uid = job.metadata.uid as string;
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(spec(job)).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      manualSelector: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    expect(((spec(job).template as Json).metadata as Json).labels).toEqual({
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': uid,
      'job-name': 'pi',
    });
  });

  it('Job: a manual selector is left alone and job labels come from the template', () => {
    const job = defaulted(
      obj('batch/v1', 'Job', {
        spec: {
          manualSelector: true,
          selector: { matchLabels: { a: 'b' } },
          parallelism: 3,
          template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] } },
        },
      }),
    );
    expect(spec(job).selector).toEqual({ matchLabels: { a: 'b' } });
    expect(spec(job).completions).toBeUndefined();
    expect(job.metadata.labels).toEqual({ a: 'b' });
  });

  it('CronJob: policy, suspend, history limits; only the pod template below', () => {
    const cj = defaulted(
      obj('batch/v1', 'CronJob', {
        spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { containers: [] } } } } },
      }),
    );
    expect(spec(cj)).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    const jobSpec = (spec(cj).jobTemplate as Json).spec as Json;
    expect(jobSpec.backoffLimit).toBeUndefined();
    expect((jobSpec.template as Json).spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
    });
  });
});

describe('other kinds', () => {
  it('Service: ClusterIP, affinity, ports, traffic policies, IP families', () => {
    const svc = defaulted(
      obj('v1', 'Service', {
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 443, targetPort: 'https' }] },
      }),
    );
    expect(spec(svc)).toEqual({
      selector: { app: 'web' },
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { port: 443, targetPort: 'https', protocol: 'TCP' },
      ],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  it('Service: NodePort/LoadBalancer get externalTrafficPolicy; ExternalName no IP families', () => {
    const lb = defaulted(obj('v1', 'Service', { spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } }));
    expect(spec(lb)).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
    const ext = defaulted(
      obj('v1', 'Service', { spec: { type: 'ExternalName', externalName: 'example.com' } }),
    );
    expect(spec(ext).ipFamilies).toBeUndefined();
    const headless = defaulted(obj('v1', 'Service', { spec: { clusterIP: 'None' } }));
    expect(spec(headless).ipFamilyPolicy).toBe('RequireDualStack');
  });

  it('Namespace: name label, Active, kubernetes finalizer on create only', () => {
    const ns = defaulted(obj('v1', 'Namespace', {}, { name: 'team-a' }));
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
    const finalized = obj(
      'v1',
      'Namespace',
      { spec: { finalizers: [] }, status: { phase: 'Terminating' } },
      { name: 'team-a', uid: 'u' },
    );
    defaulted(finalized);
    expect(finalized.spec).toEqual({ finalizers: [] });
    expect(finalized.status).toEqual({ phase: 'Terminating' });
  });

  it('Secret: Opaque, stringData folded into data', () => {
    const secret = defaulted(obj('v1', 'Secret', { data: { a: 'eA==' }, stringData: { b: 'hi' } }));
    expect(secret).toMatchObject({ type: 'Opaque', data: { a: 'eA==', b: 'aGk=' } });
    expect(secret.stringData).toBeUndefined();
  });

  it('HorizontalPodAutoscaler v2: minReplicas, CPU 80%, behavior only when given', () => {
    const hpa = defaulted(
      obj('autoscaling/v2', 'HorizontalPodAutoscaler', {
        spec: { maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: 'web' } },
      }),
    );
    expect(spec(hpa)).toMatchObject({
      minReplicas: 1,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
    });
    expect(spec(hpa).behavior).toBeUndefined();
    const withBehavior = defaulted(
      obj('autoscaling/v2', 'HorizontalPodAutoscaler', {
        spec: { maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
      }),
    );
    expect(spec(withBehavior).behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 60,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
    });
  });

  it('NetworkPolicy: policyTypes from the rules, port protocol TCP', () => {
    const ingressOnly = defaulted(
      obj('networking.k8s.io/v1', 'NetworkPolicy', {
        spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] },
      }),
    );
    expect(spec(ingressOnly)).toEqual({
      podSelector: {},
      ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }],
      policyTypes: ['Ingress'],
    });
    const both = defaulted(
      obj('networking.k8s.io/v1', 'NetworkPolicy', { spec: { podSelector: {}, egress: [{}] } }),
    );
    expect(spec(both).policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('PodDisruptionBudget and ConfigMap have no visible defaults', () => {
    const pdb = obj('policy/v1', 'PodDisruptionBudget', { spec: { minAvailable: 1 } });
    expect(defaulted(structuredClone(pdb))).toEqual(pdb);
    const cm = obj('v1', 'ConfigMap', {});
    expect(defaulted(structuredClone(cm))).toEqual(cm);
  });

  it('PersistentVolumeClaim: Filesystem and Pending', () => {
    const pvc = defaulted(
      obj('v1', 'PersistentVolumeClaim', { spec: { resources: { requests: { storage: '0.5Gi' } } } }),
    );
    expect(pvc).toMatchObject({
      spec: { volumeMode: 'Filesystem', resources: { requests: { storage: '512Mi' } } },
      status: { phase: 'Pending' },
    });
  });
});
