/** The kubelet model's small pieces, checked against upstream's formats and arithmetic. */
import { describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { SimPod } from '../../../../src/sim/kinds/pod.ts';
import { tolerationsTolerate as toleratesTaint } from '../../../../src/sim/kinds/tolerations.ts';
import { admitResources, admitUnderPressure } from '../../../../src/sim/kubelet/admission.ts';
import { behaviourFor } from '../../../../src/sim/kubelet/annotations.ts';
import { rankMemoryPressure } from '../../../../src/sim/kubelet/eviction-manager.ts';
import { ContainerBackoff } from '../../../../src/sim/kubelet/backoff.ts';
import { bytesQuantity, goDuration } from '../../../../src/sim/kubelet/format.ts';
import { imageRef } from '../../../../src/sim/kubelet/images.ts';
import { PodIpAllocator } from '../../../../src/sim/kubelet/ip-allocator.ts';
import { NodeMemory, oomScoreAdj } from '../../../../src/sim/kubelet/memory.ts';

const Mi = 1024 * 1024;
const pod = (spec: Pod['spec'], status: Pod['status'] = {}): SimPod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec, status }) as SimPod;

describe('kubelet formats', () => {
  it('prints durations like Go', () => {
    expect([10_000, 40_000, 80_000, 160_000, 300_000, 500, 0, 3_600_000, 90_500].map(goDuration)).toEqual([
      '10s',
      '40s',
      '1m20s',
      '2m40s',
      '5m0s',
      '500ms',
      '0s',
      '1h0m0s',
      '1m30.5s',
    ]);
  });
  it('prints byte amounts like resource.Quantity', () => {
    expect([600 * Mi, 76_700 * 1024, 0, 1000, 2 * 1024 * Mi].map(bytesQuantity)).toEqual([
      '600Mi',
      '76700Ki',
      '0',
      '1k',
      '2Gi',
    ]);
  });
  it('normalizes images as containerd reports them', () => {
    expect(imageRef('nginx').image).toBe('docker.io/library/nginx:latest');
    expect(imageRef('bitnami/redis:7').image).toBe('docker.io/bitnami/redis:7');
    expect(imageRef('registry.k8s.io/pause:3.9').image).toBe('registry.k8s.io/pause:3.9');
    expect(imageRef('localhost:5000/app:v1').imageID).toMatch(/^localhost:5000\/app@sha256:[0-9a-f]{64}$/);
    expect(imageRef('nginx:1.25').imageID).toBe(imageRef('docker.io/library/nginx:1.25').imageID);
    expect(imageRef('nginx:1.25').imageID).not.toBe(imageRef('nginx:1.26').imageID);
  });
});

describe('CrashLoopBackOff', () => {
  it('restarts at once first, then waits 10s doubling to 300s, and resets after 10 minutes', () => {
    const b = new ContainerBackoff();
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const finished = now;
      if (b.inBackoff(finished, now)) {
        waits.push(b.currentMs);
        now = b.readyAt(finished);
        expect(b.inBackoff(finished, now)).toBe(false);
      } else waits.push(0);
      b.next(finished, now);
      now += 1_000; // runs a second, then exits again
    }
    expect(waits).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    // Ran for more than 2 × 300s since the last restart: back to 10s.
    now += 601_000;
    expect(b.inBackoff(now, now)).toBe(false);
    b.next(now, now);
    expect(b.currentMs).toBe(10_000);
  });
});

describe('sim annotations', () => {
  it('reads whole-pod and per-container values, and reports unparseable ones', () => {
    const a = {
      'sim.scars.dev/memory': 'app=600Mi,sidecar=20Mi',
      'sim.scars.dev/probe-fail': 'readiness,liveness',
      'sim.scars.dev/exit-after': 'soon',
    };
    const app = behaviourFor(a, 'app');
    expect(app.behaviour.memoryBytes).toBe(600 * Mi);
    expect([...app.behaviour.probeFail].sort()).toEqual(['liveness', 'readiness']);
    expect(app.behaviour.exitAfterMs).toBeUndefined();
    expect(app.problems).toHaveLength(1);
    expect(app.problems[0]).toContain('sim.scars.dev/exit-after');
    expect(behaviourFor(a, 'sidecar').behaviour.memoryBytes).toBe(20 * Mi);
    expect(behaviourFor(a, 'other').behaviour.memoryBytes).toBe(8 * Mi);
    expect(
      behaviourFor({ 'sim.scars.dev/probe-fail': 'app=startup,app=liveness' }, 'app').behaviour.probeFail
        .size,
    ).toBe(2);
    expect(
      behaviourFor({ 'sim.scars.dev/memory-ramp': '1m30s', 'sim.scars.dev/exit-code': '3' }, 'x').behaviour,
    ).toMatchObject({
      memoryRampMs: 90_000,
      exitCode: 3,
    });
    expect(behaviourFor({ 'sim.scars.dev/exit-code': '300' }, 'x').problems).toHaveLength(1);
  });
});

describe('kubelet admission', () => {
  const be = pod({ containers: [{ name: 'a', image: 'x' }] }, { qosClass: 'BestEffort' });
  const bu = pod(
    { containers: [{ name: 'a', image: 'x', resources: { requests: { memory: '1Mi' } } }] },
    { qosClass: 'Burstable' },
  );
  it('under memory pressure refuses BestEffort only; any other pressure refuses all', () => {
    expect(admitUnderPressure(be, ['MemoryPressure'])).toEqual({
      admit: false,
      reason: 'Evicted',
      message: 'The node had condition: [MemoryPressure]. ',
    });
    expect(admitUnderPressure(bu, ['MemoryPressure']).admit).toBe(true);
    expect(admitUnderPressure(bu, ['MemoryPressure', 'DiskPressure'])).toMatchObject({
      admit: false,
      message: 'The node had condition: [MemoryPressure DiskPressure]. ',
    });
    expect(admitUnderPressure(be, []).admit).toBe(true);
  });
  it('matches tolerations like the scheduler helper', () => {
    const taint = { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' };
    expect(toleratesTaint([{ operator: 'Exists' }], taint)).toBe(true);
    expect(
      toleratesTaint(
        [{ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoExecute' }],
        taint,
      ),
    ).toBe(false);
    expect(toleratesTaint([{ key: 'node.kubernetes.io/memory-pressure' }], taint)).toBe(true);
    expect(toleratesTaint([{ key: 'other', operator: 'Exists' }], taint)).toBe(false);
  });
  it('checks pod count before resources', () => {
    expect(admitResources(bu, { allocatable: { pods: 2, memory: 10 * Mi }, used: {}, podCount: 2 })).toEqual({
      admit: false,
      reason: 'OutOfpods',
      message: "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2",
    });
  });
});

describe('node memory', () => {
  it('gives oom_score_adj by QoS class, Burstable by request share, clamped', () => {
    const cap = 1000 * Mi;
    const c = (memory?: string) => ({
      name: 'a',
      image: 'x',
      resources: memory ? { requests: { memory } } : {},
    });
    expect(oomScoreAdj(pod({ containers: [c()] }, { qosClass: 'Guaranteed' }), c(), cap, false)).toBe(-997);
    expect(oomScoreAdj(pod({ containers: [c()] }, { qosClass: 'BestEffort' }), c(), cap, false)).toBe(1000);
    expect(
      oomScoreAdj(pod({ containers: [c('100Mi')] }, { qosClass: 'Burstable' }), c('100Mi'), cap, false),
    ).toBe(900);
    expect(
      oomScoreAdj(pod({ containers: [c('1000Mi')] }, { qosClass: 'Burstable' }), c('1000Mi'), cap, false),
    ).toBe(3);
    expect(oomScoreAdj(pod({ containers: [c()] }, { qosClass: 'Burstable' }), c(), cap, false)).toBe(999);
  });
  it('kills the highest oom_score when the node runs out', () => {
    const killed: string[] = [];
    const memory = new NodeMemory(1000 * Mi, 100 * Mi, (v, scope) =>
      killed.push(`${v.containerName}/${scope}`),
    );
    const consumer = (name: string, bytes: number, adj: number, limit?: number) => {
      let current = bytes;
      return {
        podUid: name,
        containerName: name,
        limitBytes: limit,
        oomScoreAdj: adj,
        pid: 1,
        processName: name,
        workingSetBytes: () => current,
        set: (b: number) => (current = b),
      };
    };
    const g = consumer('guaranteed', 500 * Mi, -997);
    const b = consumer('besteffort', 100 * Mi, 1000);
    const l = consumer('limited', 10 * Mi, 500, 50 * Mi);
    memory.track(g);
    memory.track(b);
    memory.track(l);
    l.set(60 * Mi);
    memory.sample(l);
    expect(killed).toEqual(['limited/container']);
    b.set(450 * Mi);
    memory.sample(b);
    expect(killed).toEqual(['limited/container', 'besteffort/node']);
    expect(memory.workingSetBytes).toBe(600 * Mi);
  });
});

describe('pod IPs', () => {
  it('hands out addresses round-robin from .2, skipping taken ones', () => {
    const ips = new PodIpAllocator('127.64.3.0/24');
    expect(ips.allocate('a')).toBe('127.64.3.2');
    expect(ips.allocate('b')).toBe('127.64.3.3');
    expect(ips.allocate('a')).toBe('127.64.3.2');
    ips.release('a');
    expect(ips.allocate('c')).toBe('127.64.3.4');
    const small = new PodIpAllocator('10.0.0.0/29');
    expect(['1', '2', '3', '4', '5', '6'].map((u) => small.allocate(u))).toEqual([
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.4',
      '10.0.0.5',
      '10.0.0.6',
      undefined,
    ]);
  });
});

describe('memory eviction ranking', () => {
  it('puts pods over their request first, then lower priority, then the larger excess', () => {
    const pods = [
      { name: 'guaranteed-low-priority', usage: 100, request: 200, priority: -10 },
      { name: 'over-high-priority', usage: 300, request: 200, priority: 1000 },
      { name: 'over-small', usage: 110, request: 100, priority: 0 },
      { name: 'over-large', usage: 500, request: 100, priority: 0 },
      { name: 'under-default', usage: 50, request: 200, priority: 0 },
      { name: 'under-closer', usage: 190, request: 200, priority: 0 },
    ];
    expect(rankMemoryPressure(pods).map((p) => p.name)).toEqual([
      'over-large',
      'over-small',
      'over-high-priority',
      'guaranteed-low-priority',
      'under-closer',
      'under-default',
    ]);
  });
});
