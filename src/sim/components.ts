/**
 * Everything that makes the simulated cluster run, in the order a real control plane comes up:
 * the controller manager's controllers, the scheduler and every node's kubelet. All of them act
 * only through the registry (the API's code path) and time themselves with the one sim clock.
 */
import { createDataPlane, type DataPlane } from './dataplane/index.ts';
import { AgentPrograms } from './agent/agent-process.ts';
import type { SimContext } from './context.ts';
import type { Controller } from './controllers/controller.ts';
import { DaemonSetController } from './controllers/daemonset.ts';
import { DeploymentController } from './controllers/deployment/deployment.ts';
import { DisruptionController } from './controllers/disruption.ts';
import { EndpointSliceController } from './controllers/endpoint-slices.ts';
import { EndpointsController } from './controllers/endpoints.ts';
import { EventTtl } from './controllers/event-ttl.ts';
import { GarbageCollector } from './controllers/garbage-collector.ts';
import { JobController } from './controllers/job.ts';
import { NamespaceController } from './controllers/namespace.ts';
import { NodeLifecycleController } from './controllers/node-lifecycle.ts';
import { PodGcController } from './controllers/pod-gc.ts';
import { ReplicaSetController } from './controllers/replicaset.ts';
import { StatefulSetController } from './controllers/statefulset.ts';
import { Kubelets, type KubeletStats } from './kubelet/kubelets.ts';
import { PodTermination } from './kubelet/pod-termination.ts';
import { Scheduler } from './scheduler/scheduler.ts';

export interface SimStats extends KubeletStats {
  /** Pods the scheduler bound. */
  scheduled: number;
  /** Scheduling attempts that found no node. */
  unschedulable: number;
}

export interface SimComponents {
  /** Started in order, stopped in reverse. */
  all: Controller[];
  /** Services, DNS, NetworkPolicy, metadata service, Ingress (none with `apiOnly`). */
  dataPlane: DataPlane | undefined;
  stats(): SimStats;
}

/**
 * `apiOnly`: just what the API server needs (namespace lifecycle, garbage collection) and the
 * confirmation of graceful pod deletion that kubelets would otherwise give.
 */
export function simComponents(ctx: SimContext, options: { apiOnly?: boolean } = {}): SimComponents {
  // Event expiry is storage's (etcd leases), so even an API-only cluster has it.
  const base: Controller[] = [
    new NamespaceController(ctx.registry),
    new GarbageCollector(ctx.registry),
    new EventTtl(ctx.registry),
  ];
  if (options.apiOnly) {
    return {
      all: [...base, new PodTermination(ctx.registry, ctx.logs)],
      dataPlane: undefined,
      stats: () => ({
        scheduled: 0,
        unschedulable: 0,
        nodes: 0,
        pods: 0,
        runningPods: 0,
        runningContainers: 0,
        leaseRenewals: 0,
        containerStarts: 0,
        restarts: 0,
        oomKills: 0,
        systemOoms: 0,
        evictions: 0,
        rejections: 0,
        probeKills: 0,
      }),
    };
  }
  const kubelets = new Kubelets(ctx);
  const dataPlane = createDataPlane(ctx);
  const scheduler = new Scheduler(ctx);
  const all: Controller[] = [
    ...base,
    new NodeLifecycleController(ctx),
    // Before the kubelets: registered when they start, and stopped (sockets closed) after them.
    new AgentPrograms(ctx),
    kubelets,
    scheduler,
    new ReplicaSetController(ctx),
    new DeploymentController(ctx),
    new DaemonSetController(ctx),
    new StatefulSetController(ctx),
    new JobController(ctx),
    new DisruptionController(ctx),
    new EndpointsController(ctx),
    new EndpointSliceController(ctx),
    new PodGcController(ctx),
    ...dataPlane.parts,
  ];
  return {
    all,
    dataPlane,
    stats: () => {
      const s = scheduler.stats();
      return { ...kubelets.stats(), scheduled: s.scheduled, unschedulable: s.failed };
    },
  };
}
