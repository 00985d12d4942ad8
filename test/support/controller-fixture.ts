/**
 * Testing one sim controller in isolation: a core with the default topology's nodes, the
 * test-only FakeKubelet running pods on the three workers (Ready unless named in `notReady`),
 * and the controller — all stopped after each test.
 */
import { afterEach } from 'vitest';
import { createSimCore, type SimContext } from '../../src/sim/context.ts';
import type { Controller } from '../../src/sim/controllers/controller.ts';
import { registerNodes } from '../../src/sim/nodes.ts';
import { defaultTopology } from '../../src/sim/topology/load.ts';
import { FakeKubelet } from './fake-kubelet.ts';

export const WORKERS = ['scars-worker', 'scars-worker2', 'scars-worker3'];

export interface ControllerHarness {
  ctx: SimContext;
  kubelet: FakeKubelet;
  /** Names of pods the fake kubelet reports Running but not Ready. */
  notReady: Set<string>;
}

/** Call at the top of a test file: registers the cleanup and returns the starter plus extra cleanups. */
export function controllerFixture() {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });
  const start = (make: (ctx: SimContext) => Controller, timeScale = 20): ControllerHarness => {
    const ctx = createSimCore({ topology: defaultTopology(), timeScale });
    registerNodes(ctx);
    const notReady = new Set<string>();
    const kubelet = new FakeKubelet(ctx, {
      nodes: WORKERS,
      notReady: (pod) => notReady.has(pod.metadata.name ?? ''),
    });
    const controller = make(ctx);
    kubelet.start();
    controller.start();
    cleanups.push(() => {
      controller.stop();
      kubelet.stop();
      ctx.clock.stop();
    });
    return { ctx, kubelet, notReady };
  };
  return { start, cleanups };
}
