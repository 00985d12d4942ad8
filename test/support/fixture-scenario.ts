/**
 * A scenario for runner and CLI tests against the in-memory test API server (which has no
 * controllers): bare Pods stand in for replicas. The main arm runs two pods (the mitigation adds
 * the second), the control arm one, so killing one pod breaks only the control arm.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { minReadyReplicas } from '../../src/assertions/index.ts';
import { cordonNode, podKill } from '../../src/faults/index.ts';
import { defineScenario, type RunContext, type Scenario, type StepTimeouts } from '../../src/index.ts';
import { podReadiness } from '../../src/observers/index.ts';

export const FIXTURE_NODE = 'worker-1';

export interface FixtureOptions {
  name?: string;
  hold?: string;
  settle?: string;
  /** Throw from this hook. */
  throwIn?: 'beforeInject' | 'afterDeploy';
  /** Hang in beforeInject, after the faults' first mutation, until the step's signal aborts. */
  hangInInject?: boolean;
  timeouts?: StepTimeouts;
  /** Kill pods matching a selector nothing matches, so the fault cannot be observed. */
  missTheTarget?: boolean;
  /** A steady-state check that fails: the system is not healthy before the fault. */
  unsteady?: boolean;
  /** Also patch the (pre-existing) shared ConfigMap in namespace `shared`. */
  touchShared?: boolean;
  /** The pod-kill fault's preflight finds something missing. */
  failPreflight?: boolean;
  /** Called by the cordon fault's recover(), with what the journal had left when it ran. */
  onRecover?: (ctx: RunContext) => Promise<void>;
}

const pod = (name: string): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'serve', image: 'scars-agent:latest', args: ['serve'] }] },
  }) as KubernetesObject;

export function fixtureScenario(o: FixtureOptions = {}): Scenario {
  const selector = 'app=web';
  return defineScenario({
    name: o.name ?? 'fixture-web',
    description: 'Test fixture: kill a bare pod and cordon a node; two pods keep one Ready.',
    suites: ['fixtures'],
    workloads: [
      pod('web-0'),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings' },
        data: { mode: 'test' },
      } as KubernetesObject,
    ],
    mitigation: { description: 'a second replica', manifests: [pod('web-1')] },
    fault: [
      o.failPreflight
        ? {
            ...podKill({ selector, count: 1 }),
            preflight: async () => ({ ok: false, summary: 'the kill switch is not installed' }),
          }
        : podKill({ selector: o.missTheTarget ? 'app=nothing' : selector, count: 1 }),
      o.onRecover
        ? { ...cordonNode({ node: FIXTURE_NODE }), recover: o.onRecover }
        : cordonNode({ node: FIXTURE_NODE }),
      ...(o.touchShared
        ? [
            {
              name: 'patch-shared-config',
              describe: () => 'set shared/config mode=chaos',
              async inject(ctx: Parameters<ReturnType<typeof podKill>['inject']>[0]) {
                await ctx.kube.patch(
                  { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shared', name: 'config' },
                  { data: { mode: 'chaos', added: 'yes' } },
                );
              },
              async observe() {
                return { observed: true, summary: 'patched', evidence: [] };
              },
            },
          ]
        : []),
    ],
    steadyState: [
      {
        name: 'web-healthy',
        check: async () =>
          o.unsteady ? { ok: false, summary: 'web answers 503' } : { ok: true, summary: 'web answers 200' },
      },
    ],
    observers: [podReadiness({ selector, intervalMs: 50 })],
    expect: [minReadyReplicas({ selector, min: 1 })],
    hold: o.hold ?? '300ms',
    settle: o.settle ?? '50ms',
    nodes: [FIXTURE_NODE],
    namespaces: o.touchShared ? ['shared'] : [],
    ...(o.timeouts ? { timeouts: o.timeouts } : {}),
    hooks: {
      async afterDeploy() {
        if (o.throwIn === 'afterDeploy') throw new Error('hook afterDeploy failed on purpose');
      },
      async beforeInject(ctx) {
        if (o.throwIn === 'beforeInject') throw new Error('hook beforeInject failed on purpose');
        if (o.hangInInject) {
          await ctx.kube.patch(
            { apiVersion: 'v1', kind: 'Node', name: FIXTURE_NODE },
            { metadata: { labels: { hung: 'yes' } } },
          );
          await new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          );
        }
      },
    },
  });
}

/** Objects every test cluster starts with: nodes and a shared namespace the runs must leave as found. */
export function seedCluster(seed: (obj: Record<string, unknown>) => void): void {
  for (const name of ['control-plane', FIXTURE_NODE, 'worker-2']) {
    seed({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name } },
      spec: {},
    });
  }
  seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shared' } });
  seed({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'config', namespace: 'shared' },
    data: { mode: 'calm' },
  });
}
