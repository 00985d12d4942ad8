/**
 * A deletion the kubelet first sees in its own status write: the DELETE lands, and before its
 * watch event is delivered the kubelet writes the pod's status over the live object (which already
 * carries the deletionTimestamp). The watch event is then older than the kubelet's copy; the pod
 * must still terminate (upstream's kubelet takes pod updates from its config source, never from
 * its status writes, so it cannot miss one this way).
 */
import { afterEach, expect, it } from 'vitest';
import { PODS } from '../../../../src/sim/kinds/resources.ts';
import { waitFor } from '../../../support/wait.ts';
import {
  createPod,
  eventLines,
  events,
  getPod,
  type KubeletSim,
  startKubeletSim,
  type TestPod,
} from './support.ts';

let sim: KubeletSim | undefined;
afterEach(() => {
  sim?.stop();
  sim = undefined;
});

/** The parts of the kubelet this test drives directly to force the interleaving. */
interface Internals {
  workers: Map<string, { writeStatus(): void }>;
}

it('terminates a pod whose deletion arrived first through its own status write', async () => {
  sim = startKubeletSim();
  const s = sim;
  createPod(s, { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
  await waitFor('running', () => getPod(s, 'web')?.status?.phase === 'Running');
  const live = getPod(s, 'web') as TestPod;
  const kubelet = s.kubelets.kubelet(s.node) as unknown as Internals;
  const worker = kubelet.workers.get(live.metadata.uid ?? '');
  expect(worker).toBeDefined();
  // Synchronously, so no watch event is delivered in between: someone edits the status (the
  // kubelet's next write differs from the live one), the pod is deleted, the kubelet writes.
  s.ctx.registry.replace(
    PODS,
    live,
    { ...live, status: { ...live.status, conditions: [] } },
    { manager: 'test', subresource: 'status' },
  );
  s.ctx.registry.delete(PODS, 'default', 'web', {});
  worker?.writeStatus();
  await waitFor(
    'pod gone',
    () => !getPod(s, 'web'),
    10_000,
    () => eventLines(s),
  );
  expect(events(s, { name: 'web', reason: 'Killing' })).toHaveLength(1);
});
