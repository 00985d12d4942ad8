/**
 * Events expire an hour (cluster time) after their last write, as kube-apiserver's --event-ttl
 * lease makes them: a long-lived sim no longer collects node Events in `default` forever.
 */
import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../../src/sim/kinds/resources.ts';
import { startSimCluster } from '../../../src/sim/cluster.ts';

const MINUTE = 60_000;

describe('event TTL', () => {
  it('removes an Event an hour after its last write; a rewrite starts the hour again', async () => {
    // Ten cluster minutes per wall second: the hour passes in six seconds.
    const sim = await startSimCluster({ apiOnly: true, tls: false, nodes: 1, timeScale: 600 });
    try {
      const t0 = sim.clock.now();
      const event = (name: string, message: string) => ({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: 'default' },
        involvedObject: { kind: 'Node', name: sim.nodes[0] },
        reason: 'Test',
        message,
      });
      sim.registry.create(EVENTS, 'default', event('once', 'written once'), { manager: 'test' });
      sim.registry.create(EVENTS, 'default', event('again', 'first'), { manager: 'test' });
      const present = (name: string) => sim.registry.find(EVENTS, 'default', name) !== undefined;
      const until = (ms: number) => sim.clock.sleep(Math.max(0, t0 + ms - sim.clock.now()));

      await until(30 * MINUTE);
      const again = sim.registry.get(EVENTS, 'default', 'again');
      sim.registry.replace(
        EVENTS,
        again,
        { ...structuredClone(again), message: 'second' },
        { manager: 'test' },
      );
      expect(present('once')).toBe(true);

      // Past the hour (and a sweep): the Event written once is gone, the rewritten one is not.
      await until(63 * MINUTE);
      expect(present('once')).toBe(false);
      expect(present('again')).toBe(true);

      await until(93 * MINUTE);
      expect(present('again')).toBe(false);
    } finally {
      await sim.stop();
    }
  }, 30_000);
});
