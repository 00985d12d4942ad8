/** The sim's event recorder follows client-go's EventCorrelator: dedup, aggregation, spam filter. */
import type { Event } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { createSimCore } from '../../../src/sim/context.ts';
import { EVENTS } from '../../../src/sim/kinds/resources.ts';
import type { KubeObject } from '../../../src/sim/object.ts';
import { defaultTopology } from '../../../src/sim/topology/load.ts';

const rs: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-abc', namespace: 'default', uid: 'u-1', resourceVersion: '5' },
};
const source = { component: 'replicaset-controller' };

function events(ctx: ReturnType<typeof createSimCore>): (Event & KubeObject)[] {
  return ctx.registry.list(EVENTS, { namespace: 'default' }).items as (Event & KubeObject)[];
}

describe('EventRecorder', () => {
  it('the same event again bumps count and lastTimestamp on one Event', () => {
    const ctx = createSimCore({ topology: defaultTopology() });
    for (let i = 0; i < 3; i++)
      ctx.events.record(source, rs, 'Warning', 'FailedCreate', 'Error creating: quota');
    const all = events(ctx);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      count: 3,
      reason: 'FailedCreate',
      type: 'Warning',
      involvedObject: { kind: 'ReplicaSet', name: 'web-abc', namespace: 'default', uid: 'u-1' },
      source: { component: 'replicaset-controller' },
      reportingComponent: 'replicaset-controller',
    });
    expect(all[0]?.metadata.name).toMatch(/^web-abc\.[0-9a-f]+$/);
    ctx.clock.stop();
  });

  it('past nine distinct messages for one object and reason, one combined Event counts the rest', () => {
    const ctx = createSimCore({ topology: defaultTopology() });
    for (let i = 0; i < 20; i++)
      ctx.events.record(source, rs, 'Normal', 'SuccessfulCreate', `Created pod: web-abc-${i}`);
    const all = events(ctx);
    expect(all).toHaveLength(10);
    const combined = all.find((e) => e.message?.startsWith('(combined from similar events): '));
    expect(combined?.message).toBe('(combined from similar events): Created pod: web-abc-19');
    expect(combined?.count).toBe(11);
    ctx.clock.stop();
  });

  it('one source gets 25 events per object, then one per five minutes', () => {
    const ctx = createSimCore({ topology: defaultTopology(), timeScale: 1 });
    for (let i = 0; i < 40; i++)
      ctx.events.record({ component: 'kubelet', host: 'n1' }, rs, 'Warning', `Reason${i}`, 'same');
    expect(events(ctx)).toHaveLength(25);
    // Another object is not affected.
    ctx.events.record(
      { component: 'kubelet', host: 'n1' },
      { ...rs, metadata: { ...rs.metadata, name: 'other', uid: 'u-2' } },
      'Warning',
      'X',
      'y',
    );
    expect(events(ctx)).toHaveLength(26);
    ctx.clock.stop();
  });
});
