import { describe, expect, it } from 'vitest';
import { RESOURCES, resourceAt, type ResourceType } from '../../../src/sim/kinds/registry.ts';
import type { KubeObject } from '../../../src/sim/object.ts';
import { humanDuration, tableCells, tableColumns } from '../../../src/sim/api/tables/index.ts';
import { quantity } from '../../../src/sim/api/tables/quantity.ts';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** A wire timestamp `ms` before NOW. */
const ago = (ms: number): string => new Date(NOW - ms).toISOString().replace('.000Z', 'Z');

function resource(apiVersion: string, plural: string): ResourceType {
  const r = resourceAt(apiVersion, plural);
  if (!r) throw new Error(`no resource ${apiVersion}/${plural}`);
  return r;
}

function obj(
  apiVersion: string,
  kind: string,
  fields: Record<string, unknown>,
  meta: object = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name: 'x', namespace: 'default', creationTimestamp: ago(3 * D), ...meta },
    ...fields,
  };
}

const cells = (apiVersion: string, plural: string, o: KubeObject): unknown[] =>
  tableCells(resource(apiVersion, plural), o, NOW);

describe('humanDuration (apimachinery util/duration)', () => {
  it.each([
    [-2 * S, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [2 * M + 5 * S, '2m5s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [48 * H, '2d'],
    [49 * H, '2d1h'],
    [8 * D, '8d'],
    [400 * D, '400d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [8 * 365 * D, '8y'],
    [10 * 365 * D + 100 * D, '10y'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('quantity canonical form (resource.Quantity String)', () => {
  it.each([
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['512', '512'],
    ['1.5', '1500m'],
    ['0.1', '100m'],
    ['2000m', '2'],
    ['1000k', '1M'],
    ['100M', '100M'],
    ['1e3', '1e3'],
    ['0.0000000001', '1n'],
    ['0', '0'],
    ['-1.5', '-1500m'],
    [2, '2'],
  ])('%s → %s', (input, text) => {
    expect(quantity(input)).toBe(text);
  });
  it('a missing quantity is zero, a nil pointer "<nil>"', () => {
    expect(quantity(undefined)).toBe('0');
    expect(quantity(undefined, '<nil>')).toBe('<nil>');
  });
});

describe('column definitions', () => {
  it('pods: name column formatted, wide columns at priority 1', () => {
    const columns = tableColumns(resource('v1', 'pods'));
    expect(columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    expect(columns[0]?.format).toBe('name');
    expect(columns[1]?.format).toBe('');
    expect(columns[0]?.description).toMatch(/^Name must be unique within a namespace/);
  });

  it('events: LAST SEEN TYPE REASON OBJECT MESSAGE, the rest wide', () => {
    for (const r of [resource('v1', 'events'), resource('events.k8s.io/v1', 'events')]) {
      expect(tableColumns(r).map((c) => `${c.name}:${c.priority}`)).toEqual([
        'Last Seen:0',
        'Type:0',
        'Reason:0',
        'Object:0',
        'Subobject:1',
        'Source:1',
        'Message:0',
        'First Seen:1',
        'Count:1',
        'Name:1',
      ]);
    }
  });

  it('unprinted kinds fall back to Name and Created At', () => {
    const limits = resource('v1', 'limitranges');
    expect(tableColumns(limits).map((c) => [c.name, c.type, c.format])).toEqual([
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ]);
    const o = obj('v1', 'LimitRange', {}, { name: 'limits', creationTimestamp: '2024-05-01T10:20:30Z' });
    expect(cells('v1', 'limitranges', o)).toEqual(['limits', '2024-05-01T10:20:30Z']);
  });

  it('every resource yields one cell per column', () => {
    for (const r of RESOURCES) {
      const o = obj(r.apiVersion, r.kind, {});
      expect(tableCells(r, o, NOW), `${r.apiVersion}/${r.plural}`).toHaveLength(tableColumns(r).length);
    }
  });
});

describe('pods', () => {
  const pod = (status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: object = {}) =>
    cells(
      'v1',
      'pods',
      obj('v1', 'Pod', { spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec }, status }, meta),
    );
  const running = (ready = true) => ({ ready, started: true, state: { running: { startedAt: ago(D) } } });
  const ready = [{ type: 'Ready', status: 'True' }];

  it('a running pod', () => {
    expect(
      pod(
        { phase: 'Running', conditions: ready, podIP: '10.244.0.5', containerStatuses: [running()] },
        { nodeName: 'n1' },
      ),
    ).toEqual(['x', '1/1', 'Running', '0', '3d', '10.244.0.5', 'n1', '<none>', '<none>']);
  });

  it('a pod without status yet is Pending, wide cells <none>', () => {
    expect(pod({})).toEqual(['x', '0/1', 'Pending', '0', '3d', '<none>', '<none>', '<none>', '<none>']);
  });

  it('restarts show when the last container terminated', () => {
    const restarted = {
      ...running(),
      restartCount: 2,
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * M) } },
    };
    expect(pod({ phase: 'Running', conditions: ready, containerStatuses: [restarted] })[3]).toBe(
      '2 (5m ago)',
    );
    expect(pod({ phase: 'Running', containerStatuses: [{ ...running(), restartCount: 3 }] })[3]).toBe('3');
  });

  it.each([
    ['Init:0/2', [{ name: 'a', ready: false, state: { running: {} } }]],
    [
      'Init:1/2',
      [
        { name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'b', state: { waiting: { reason: 'PodInitializing' } } },
      ],
    ],
    ['Init:CrashLoopBackOff', [{ name: 'a', state: { waiting: { reason: 'CrashLoopBackOff' } } }]],
    ['Init:Error', [{ name: 'a', state: { terminated: { exitCode: 1, reason: 'Error' } } }]],
    ['Init:Signal:9', [{ name: 'a', state: { terminated: { exitCode: 137, signal: 9 } } }]],
    ['Init:ExitCode:2', [{ name: 'a', state: { terminated: { exitCode: 2 } } }]],
  ])('init containers: %s', (status, initContainerStatuses) => {
    const spec = { initContainers: [{ name: 'a' }, { name: 'b' }] };
    const waiting = { name: 'app', ready: false, state: { waiting: { reason: 'PodInitializing' } } };
    expect(pod({ phase: 'Pending', initContainerStatuses, containerStatuses: [waiting] }, spec)[2]).toBe(
      status,
    );
  });

  it('init container restarts count until initialization is done', () => {
    const init = [
      { name: 'a', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: {} },
    ];
    const spec = { initContainers: [{ name: 'a' }] };
    expect(pod({ phase: 'Pending', initContainerStatuses: init }, spec)[3]).toBe('4');
  });

  it('a started sidecar counts as a container and does not block initialization', () => {
    const spec = { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] };
    const status = {
      phase: 'Running',
      conditions: [...ready, { type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'proxy', ...running(), restartCount: 1 }],
      containerStatuses: [running()],
    };
    expect(pod(status, spec).slice(1, 4)).toEqual(['2/2', 'Running', '1']);
  });

  it.each([
    ['ImagePullBackOff', { waiting: { reason: 'ImagePullBackOff' } }],
    ['OOMKilled', { terminated: { exitCode: 137, reason: 'OOMKilled' } }],
    ['Signal:15', { terminated: { exitCode: 143, signal: 15 } }],
    ['ExitCode:3', { terminated: { exitCode: 3 } }],
  ])('container state: %s', (status, state) => {
    expect(pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: false, state }] })[2]).toBe(
      status,
    );
  });

  it('status.reason overrides the phase', () => {
    expect(pod({ phase: 'Failed', reason: 'Evicted' })[2]).toBe('Evicted');
  });

  it('SchedulingGated', () => {
    const conditions = [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }];
    expect(pod({ phase: 'Pending', conditions })[2]).toBe('SchedulingGated');
  });

  describe('"Completed" with siblings', () => {
    const completed = {
      name: 'a',
      ready: false,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    };
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    it('a running, ready sibling makes it Running', () => {
      const status = { phase: 'Running', conditions: ready, containerStatuses: [completed, running()] };
      expect(pod(status, spec).slice(1, 3)).toEqual(['1/2', 'Running']);
    });
    it('without the Ready condition it is NotReady', () => {
      expect(pod({ phase: 'Running', containerStatuses: [completed, running()] }, spec)[2]).toBe('NotReady');
    });
    it('a failed sibling shows its reason (kubernetes#124766)', () => {
      const failed = { name: 'b', ready: false, state: { terminated: { exitCode: 1, reason: 'Error' } } };
      expect(pod({ phase: 'Failed', containerStatuses: [completed, failed] }, spec)[2]).toBe('Error');
    });
  });

  it('Terminating while deleting, unless terminal; Unknown for a lost node', () => {
    const deleting = { deletionTimestamp: ago(10 * S) };
    expect(pod({ phase: 'Running', containerStatuses: [running()] }, {}, deleting)[2]).toBe('Terminating');
    const done = { name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    expect(pod({ phase: 'Succeeded', containerStatuses: [done] }, {}, deleting)[2]).toBe('Completed');
    expect(pod({ phase: 'Running', reason: 'NodeLost' }, {}, deleting)[2]).toBe('Unknown');
  });

  it('wide: podIPs, nominated node, readiness gates', () => {
    const status = {
      phase: 'Pending',
      podIPs: [{ ip: 'fd00::5' }],
      nominatedNodeName: 'n2',
      conditions: [{ type: 'example.com/lb', status: 'True' }],
    };
    const spec = {
      readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }],
    };
    expect(pod(status, spec).slice(5)).toEqual(['fd00::5', '<none>', 'n2', '1/2']);
  });

  it('AGE of a pod without creationTimestamp', () => {
    expect(pod({}, {}, { creationTimestamp: undefined })[4]).toBe('<unknown>');
  });
});

describe('nodes', () => {
  const node = (fields: Record<string, unknown>, labels: Record<string, string> = {}) =>
    cells('v1', 'nodes', obj('v1', 'Node', fields, { name: 'n1', namespace: undefined, labels }));
  const info = {
    kubeletVersion: 'v1.30.0',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    kernelVersion: '6.1.0',
    containerRuntimeVersion: 'containerd://1.7.13',
  };
  const readyStatus = (status: string) => ({ conditions: [{ type: 'Ready', status }], nodeInfo: info });

  it('a ready control-plane node, wide columns', () => {
    const status = { ...readyStatus('True'), addresses: [{ type: 'InternalIP', address: '172.18.0.2' }] };
    expect(node({ status }, { 'node-role.kubernetes.io/control-plane': '' })).toEqual([
      'n1',
      'Ready',
      'control-plane',
      '3d',
      'v1.30.0',
      '172.18.0.2',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0',
      'containerd://1.7.13',
    ]);
  });

  it('cordoned, not ready, unknown', () => {
    expect(node({ spec: { unschedulable: true }, status: readyStatus('True') })[1]).toBe(
      'Ready,SchedulingDisabled',
    );
    expect(node({ status: readyStatus('Unknown') })[1]).toBe('NotReady');
    expect(node({ spec: { unschedulable: true } })[1]).toBe('Unknown,SchedulingDisabled');
  });

  it('roles: sorted, both label styles, <none>', () => {
    const labels = {
      'node-role.kubernetes.io/worker': '',
      'node-role.kubernetes.io/infra': 'true',
      'node-role.kubernetes.io/': '',
      'kubernetes.io/role': 'master',
    };
    expect(node({}, labels)[2]).toBe('infra,master,worker');
    expect(node({}, { 'kubernetes.io/role': '' })[2]).toBe('<none>');
    expect(node({})[2]).toBe('<none>');
  });

  it('missing node info prints <unknown> in the wide columns', () => {
    expect(node({}).slice(4)).toEqual(['', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });
});

describe('apps', () => {
  const template = {
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1.25' },
        { name: 'log', image: 'busybox' },
      ],
    },
  };
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] },
      { key: 'env', operator: 'Exists' },
      { key: 'canary', operator: 'DoesNotExist' },
    ],
  };

  it('deployment READY ready/desired and a full selector', () => {
    const d = obj('apps/v1', 'Deployment', {
      spec: { replicas: 3, selector, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    });
    expect(cells('apps/v1', 'deployments', d)).toEqual([
      'x',
      '2/3',
      3,
      2,
      '3d',
      'web,log',
      'nginx:1.25,busybox',
      'app=web,!canary,env,tier in (a,b)',
    ]);
  });

  it('deployment defaults: replicas 1, empty status, empty selector stays empty', () => {
    const d = obj('apps/v1', 'Deployment', { spec: { template, selector: {} } });
    expect(cells('apps/v1', 'deployments', d).slice(1, 4)).toEqual(['0/1', 0, 0]);
    expect(cells('apps/v1', 'deployments', d)[7]).toBe('');
  });

  it('replicaset', () => {
    const rs = obj('apps/v1', 'ReplicaSet', {
      spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': 'abc' } }, template },
      status: { replicas: 2, readyReplicas: 1 },
    });
    expect(cells('apps/v1', 'replicasets', rs)).toEqual([
      'x',
      2,
      2,
      1,
      '3d',
      'web,log',
      'nginx:1.25,busybox',
      'app=web,pod-template-hash=abc',
    ]);
  });

  it('invalid selectors', () => {
    const bad = { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] };
    const rs = obj('apps/v1', 'ReplicaSet', { spec: { selector: bad, template } });
    expect(cells('apps/v1', 'replicasets', rs)[7]).toBe('<error>');
    const d = obj('apps/v1', 'Deployment', { spec: { selector: bad, template } });
    expect(cells('apps/v1', 'deployments', d)[7]).toBe('<invalid>');
  });

  it('daemonset', () => {
    const ds = obj('apps/v1', 'DaemonSet', {
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } },
      },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      },
    });
    expect(cells('apps/v1', 'daemonsets', ds)).toEqual([
      'x',
      3,
      3,
      2,
      3,
      2,
      'kubernetes.io/os=linux',
      '3d',
      'web,log',
      'nginx:1.25,busybox',
      'app=agent',
    ]);
    const plain = obj('apps/v1', 'DaemonSet', { spec: { template } });
    expect(cells('apps/v1', 'daemonsets', plain)[6]).toBe('<none>');
  });

  it('statefulset', () => {
    const sts = obj('apps/v1', 'StatefulSet', {
      spec: { replicas: 3, template },
      status: { readyReplicas: 1 },
    });
    expect(cells('apps/v1', 'statefulsets', sts)).toEqual([
      'x',
      '1/3',
      '3d',
      'web,log',
      'nginx:1.25,busybox',
    ]);
  });
});

describe('batch', () => {
  const template = { spec: { containers: [{ name: 'pi', image: 'perl' }] } };
  const job = (spec: Record<string, unknown>, status: Record<string, unknown>, meta: object = {}) =>
    cells('batch/v1', 'jobs', obj('batch/v1', 'Job', { spec: { template, ...spec }, status }, meta));

  it('a completed job', () => {
    const status = {
      succeeded: 1,
      startTime: ago(10 * M),
      completionTime: ago(10 * M - 30 * S),
      conditions: [{ type: 'Complete', status: 'True' }],
    };
    expect(job({ completions: 1, selector: { matchLabels: { 'job-name': 'x' } } }, status)).toEqual([
      'x',
      'Complete',
      '1/1',
      '30s',
      '3d',
      'pi',
      'perl',
      'job-name=x',
    ]);
  });

  it('running, parallel, failed, suspended, not started', () => {
    expect(job({ parallelism: 3 }, { startTime: ago(4 * M) }).slice(1, 4)).toEqual([
      'Running',
      '0/1 of 3',
      '4m',
    ]);
    expect(job({}, {}).slice(1, 4)).toEqual(['Running', '0/1', '']);
    const failed = { conditions: [{ type: 'Failed', status: 'True' }] };
    expect(job({ completions: 5 }, { ...failed, succeeded: 2 }).slice(1, 3)).toEqual(['Failed', '2/5']);
    const suspended = { conditions: [{ type: 'Suspended', status: 'True' }] };
    expect(job({}, suspended)[1]).toBe('Suspended');
    expect(job({}, suspended, { deletionTimestamp: ago(S) })[1]).toBe('Terminating');
  });

  it('cronjob', () => {
    const cj = obj('batch/v1', 'CronJob', {
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template } } },
      status: {},
    });
    expect(cells('batch/v1', 'cronjobs', cj)).toEqual([
      'x',
      '*/5 * * * *',
      '<none>',
      'False',
      0,
      '<none>',
      '3d',
      'pi',
      'perl',
      '<none>',
    ]);
    const busy = obj('batch/v1', 'CronJob', {
      spec: { schedule: '@hourly', timeZone: 'Etc/UTC', suspend: true, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'j1' }], lastScheduleTime: ago(2 * M) },
    });
    expect(cells('batch/v1', 'cronjobs', busy).slice(2, 6)).toEqual(['Etc/UTC', 'True', 1, '2m']);
  });
});

describe('horizontalpodautoscalers', () => {
  const hpa = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) =>
    cells(
      'autoscaling/v2',
      'horizontalpodautoscalers',
      obj('autoscaling/v2', 'HorizontalPodAutoscaler', {
        spec: {
          scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
          maxReplicas: 10,
          ...spec,
        },
        status,
      }),
    );
  const cpu = {
    type: 'Resource',
    resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
  };
  const memory = {
    type: 'Resource',
    resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '200Mi' } },
  };
  const pods = {
    type: 'Pods',
    pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1k' } },
  };

  it('reference, targets, min/max and replicas', () => {
    const status = {
      currentReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50 } } }],
    };
    expect(hpa({ minReplicas: 2, metrics: [cpu] }, status)).toEqual([
      'x',
      'Deployment/web',
      'cpu: 50%/80%',
      '2',
      10,
      2,
      '3d',
    ]);
  });

  it('unknown current values, average values, more than two metrics', () => {
    expect(hpa({ metrics: [cpu, memory, pods] })[2]).toBe(
      'cpu: <unknown>/80%, memory: <unknown>/200Mi + 1 more...',
    );
    const status = {
      currentMetrics: [
        { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '1500m' } } },
      ],
    };
    expect(hpa({ metrics: [pods] }, status)[2]).toBe('1500m/1k');
    expect(hpa({})[2]).toBe('<none>');
    expect(hpa({})[3]).toBe('1');
  });
});

describe('network', () => {
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) =>
    cells('v1', 'services', obj('v1', 'Service', { spec, status }));

  it('ClusterIP with ports and selector', () => {
    const spec = {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 9153, protocol: 'TCP' },
      ],
      selector: { 'k8s-app': 'kube-dns' },
    };
    expect(svc(spec)).toEqual([
      'x',
      'ClusterIP',
      '10.96.0.10',
      '<none>',
      '53/UDP,9153/TCP',
      '3d',
      'k8s-app=kube-dns',
    ]);
  });

  it('node ports: "80/TCP,443:30443/TCP"', () => {
    const ports = [{ port: 80 }, { port: 443, nodePort: 30443, protocol: 'TCP' }];
    expect(svc({ type: 'NodePort', clusterIP: '10.96.1.1', ports })[4]).toBe('80/TCP,443:30443/TCP');
  });

  it('LoadBalancer pending, assigned, with external IPs', () => {
    const spec = { type: 'LoadBalancer', clusterIP: '10.96.1.2', ports: [{ port: 80, nodePort: 31000 }] };
    expect(svc(spec)[3]).toBe('<pending>');
    const ingress = {
      loadBalancer: {
        ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.9' }],
      },
    };
    expect(svc(spec, ingress)[3]).toBe('203.0.113.9,lb.example.com');
    expect(svc({ ...spec, externalIPs: ['198.51.100.1'] }, ingress)[3]).toBe(
      '203.0.113.9,lb.example.com,198.51.100.1',
    );
  });

  it('headless, ExternalName, no ports, defaults', () => {
    expect(svc({ clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }] }).slice(1, 5)).toEqual([
      'ClusterIP',
      'None',
      '<none>',
      '80/TCP',
    ]);
    expect(svc({ type: 'ExternalName', externalName: 'db.example.com' }).slice(1, 5)).toEqual([
      'ExternalName',
      '<none>',
      'db.example.com',
      '<none>',
    ]);
    expect(svc({})[6]).toBe('<none>');
  });

  it('endpoints: three address:port pairs, then a count', () => {
    const subsets = [
      {
        addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }],
        ports: [
          { name: 'http', port: 80 },
          { name: 'https', port: 443 },
        ],
      },
      { addresses: [{ ip: 'fd00::1' }] },
    ];
    expect(cells('v1', 'endpoints', obj('v1', 'Endpoints', { subsets }))).toEqual([
      'x',
      '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...',
      '3d',
    ]);
    const v6 = [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }];
    expect(cells('v1', 'endpoints', obj('v1', 'Endpoints', { subsets: v6 }))[1]).toBe('[fd00::1]:80');
    expect(cells('v1', 'endpoints', obj('v1', 'Endpoints', {}))[1]).toBe('<none>');
  });

  it('endpointslices', () => {
    const slice = obj('discovery.k8s.io/v1', 'EndpointSlice', {
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80 }, { name: 'any' }, {}],
      endpoints: [
        { addresses: ['10.0.0.1'] },
        { addresses: ['10.0.0.2', '10.0.0.3'] },
        { addresses: ['10.0.0.4'] },
      ],
    });
    expect(cells('discovery.k8s.io/v1', 'endpointslices', slice)).toEqual([
      'x',
      'IPv4',
      '80,any,*',
      '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...',
      '3d',
    ]);
    const empty = obj('discovery.k8s.io/v1', 'EndpointSlice', { addressType: 'IPv6', endpoints: [] });
    expect(cells('discovery.k8s.io/v1', 'endpointslices', empty).slice(2, 4)).toEqual(['<unset>', '<unset>']);
  });

  it('ingresses', () => {
    const ing = obj('networking.k8s.io/v1', 'Ingress', {
      spec: {
        ingressClassName: 'nginx',
        rules: [
          { host: 'a.example.com' },
          {},
          { host: 'b.example.com' },
          { host: 'c.example.com' },
          { host: 'd' },
        ],
        tls: [{ hosts: ['a.example.com'] }],
      },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
    });
    expect(cells('networking.k8s.io/v1', 'ingresses', ing)).toEqual([
      'x',
      'nginx',
      'a.example.com,b.example.com,c.example.com + 2 more...',
      '192.0.2.10',
      '80, 443',
      '3d',
    ]);
    const bare = obj('networking.k8s.io/v1', 'Ingress', { spec: { rules: [{}] } });
    expect(cells('networking.k8s.io/v1', 'ingresses', bare).slice(1, 5)).toEqual(['<none>', '*', '', '80']);
  });

  it('networkpolicies', () => {
    const np = (podSelector?: object) =>
      cells(
        'networking.k8s.io/v1',
        'networkpolicies',
        obj('networking.k8s.io/v1', 'NetworkPolicy', { spec: { podSelector } }),
      );
    expect(np({ matchLabels: { role: 'db' } })).toEqual(['x', 'role=db', '3d']);
    expect(np({})[1]).toBe('<none>');
    expect(np()[1]).toBe('<none>');
  });
});

describe('events', () => {
  it('core/v1', () => {
    const ev = obj(
      'v1',
      'Event',
      {
        involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{web}' },
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container\n',
        source: { component: 'kubelet', host: 'node-1' },
        firstTimestamp: ago(10 * M),
        lastTimestamp: ago(30 * S),
        count: 7,
      },
      { name: 'web-1.17d' },
    );
    expect(cells('v1', 'events', ev)).toEqual([
      '30s',
      'Warning',
      'BackOff',
      'pod/web-1',
      'spec.containers{web}',
      'kubelet, node-1',
      'Back-off restarting failed container',
      '10m',
      7,
      'web-1.17d',
    ]);
  });

  it('events.k8s.io/v1 prints through the core printer, series and eventTime included', () => {
    const ev = obj(
      'events.k8s.io/v1',
      'Event',
      {
        regarding: { kind: 'Node', name: 'n1' },
        type: 'Normal',
        reason: 'NodeReady',
        note: 'Node n1 status is now: NodeReady',
        eventTime: '2024-06-01T11:00:00.123456Z',
        reportingController: 'node-controller',
        series: { count: 3, lastObservedTime: ago(2 * M) },
      },
      { name: 'n1.abc' },
    );
    expect(cells('events.k8s.io/v1', 'events', ev)).toEqual([
      '2m',
      'Normal',
      'NodeReady',
      'node/n1',
      '',
      'node-controller',
      'Node n1 status is now: NodeReady',
      '59m',
      3,
      'n1.abc',
    ]);
  });

  it('a singleton without timestamps or count', () => {
    const ev = obj('v1', 'Event', { involvedObject: { kind: 'Namespace' }, eventTime: ago(5 * S) });
    const row = cells('v1', 'events', ev);
    expect([row[0], row[3], row[7], row[8]]).toEqual(['5s', 'namespace', '5s', 1]);
  });
});

describe('storage', () => {
  it('persistentvolumes', () => {
    const pv = obj(
      'v1',
      'PersistentVolume',
      {
        spec: {
          capacity: { storage: '1024Mi' },
          accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          claimRef: { namespace: 'default', name: 'data' },
          storageClassName: 'standard',
          volumeMode: 'Block',
        },
        status: { phase: 'Bound' },
      },
      { namespace: undefined, name: 'pv1' },
    );
    expect(cells('v1', 'persistentvolumes', pv)).toEqual([
      'pv1',
      '1Gi',
      'RWO,RWX',
      'Delete',
      'Bound',
      'default/data',
      'standard',
      '<unset>',
      '',
      '3d',
      'Block',
    ]);
  });

  it('persistentvolumeclaims: bound, pending, beta class annotation, terminating', () => {
    const bound = obj('v1', 'PersistentVolumeClaim', {
      spec: { volumeName: 'pv1', storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } },
      status: { phase: 'Bound', capacity: { storage: '1.5Gi' }, accessModes: ['ReadWriteOnce'] },
    });
    expect(cells('v1', 'persistentvolumeclaims', bound)).toEqual([
      'x',
      'Bound',
      'pv1',
      '1536Mi',
      'RWO',
      'standard',
      '<unset>',
      '3d',
      'Filesystem',
    ]);
    const pending = obj(
      'v1',
      'PersistentVolumeClaim',
      { spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } },
      { annotations: { 'volume.beta.kubernetes.io/storage-class': 'legacy' }, deletionTimestamp: ago(S) },
    );
    expect(cells('v1', 'persistentvolumeclaims', pending).slice(1, 6)).toEqual([
      'Terminating',
      '',
      '',
      '',
      'legacy',
    ]);
  });
});

describe('small kinds', () => {
  it('namespaces, configmaps, secrets, serviceaccounts, leases', () => {
    const ns = obj(
      'v1',
      'Namespace',
      { status: { phase: 'Terminating' } },
      { name: 'team-a', namespace: undefined },
    );
    expect(cells('v1', 'namespaces', ns)).toEqual(['team-a', 'Terminating', '3d']);
    expect(cells('v1', 'namespaces', obj('v1', 'Namespace', {}))[1]).toBe('Active');
    const cm = obj('v1', 'ConfigMap', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } });
    expect(cells('v1', 'configmaps', cm)).toEqual(['x', 3, '3d']);
    const secret = obj('v1', 'Secret', {
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'x', 'tls.key': 'y' },
    });
    expect(cells('v1', 'secrets', secret)).toEqual(['x', 'kubernetes.io/tls', 2, '3d']);
    const opaque = obj('v1', 'Secret', { data: { a: 'x' }, stringData: { a: 'y', b: 'z' } });
    expect(cells('v1', 'secrets', opaque).slice(1, 3)).toEqual(['Opaque', 2]);
    expect(cells('v1', 'serviceaccounts', obj('v1', 'ServiceAccount', {}))).toEqual(['x', '3d']);
    const lease = obj('coordination.k8s.io/v1', 'Lease', { spec: { holderIdentity: 'node-1' } });
    expect(cells('coordination.k8s.io/v1', 'leases', lease)).toEqual(['x', 'node-1', '3d']);
  });

  it('poddisruptionbudgets: N/A for the unset bound', () => {
    const pdb = (spec: object) =>
      cells(
        'policy/v1',
        'poddisruptionbudgets',
        obj('policy/v1', 'PodDisruptionBudget', { spec, status: { disruptionsAllowed: 1 } }),
      );
    expect(pdb({ minAvailable: 2 })).toEqual(['x', '2', 'N/A', 1, '3d']);
    expect(pdb({ maxUnavailable: '25%' }).slice(1, 3)).toEqual(['N/A', '25%']);
  });

  it('resourcequotas: sorted, limits.* apart, canonical quantities', () => {
    const quota = obj('v1', 'ResourceQuota', {
      status: {
        hard: { pods: '10', 'requests.cpu': '1', 'limits.memory': '2048Mi', 'requests.memory': '1Gi' },
        used: { pods: '3', 'requests.cpu': '0.5', 'limits.memory': '512Mi' },
      },
    });
    expect(cells('v1', 'resourcequotas', quota)).toEqual([
      'x',
      'pods: 3/10, requests.cpu: 500m/1, requests.memory: 0/1Gi',
      'limits.memory: 512Mi/2Gi',
      '3d',
    ]);
  });
});
