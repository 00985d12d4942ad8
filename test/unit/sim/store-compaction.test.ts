/**
 * The store compacts its watch history on cluster time, as kube-apiserver compacts etcd every
 * five minutes: a long-lived sim (the soak, `scars sim serve`) keeps a bounded window of events
 * instead of the last 100,000 full objects.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/object.ts';
import {
  DEFAULT_COMPACTION_INTERVAL_MS,
  ExpiredError,
  ObjectStore,
  type ObjectStoreOptions,
} from '../../../src/sim/store/object-store.ts';

const RESOURCE = 'v1/configmaps';

function store(options: ObjectStoreOptions) {
  const s = new ObjectStore(options);
  s.register(RESOURCE, []);
  return s;
}

function put(s: ObjectStore, name: string): number {
  const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } };
  return s.put(RESOURCE, obj).rv;
}

/** Whether a watch can still resume from `rv` (the store answers 410 Expired once it cannot). */
function resumable(s: ObjectStore, rv: number): boolean {
  try {
    s.watch({ resource: RESOURCE, deliver: () => {} }, rv)();
    return true;
  } catch (error) {
    if (error instanceof ExpiredError) return false;
    throw error;
  }
}

describe('object store compaction on cluster time', () => {
  it('keeps between one and two intervals of history, like the apiserver compacting etcd', () => {
    let now = 0;
    const s = store({ now: () => now });
    const interval = DEFAULT_COMPACTION_INTERVAL_MS;
    const early = put(s, 'a');

    // The first compaction (at one interval) compacts up to what the store held when it started.
    now = interval;
    const atFirst = put(s, 'b');
    expect(resumable(s, early)).toBe(true);

    // The second compacts up to what the first saw: `early` is gone, the newer write is kept.
    now = 2 * interval;
    put(s, 'c');
    expect(resumable(s, early)).toBe(false);
    expect(resumable(s, atFirst)).toBe(true);

    // Nothing happens between compactions, however many writes there are.
    now = 2 * interval + interval / 2;
    for (let i = 0; i < 50; i++) put(s, `d${i}`);
    expect(resumable(s, atFirst)).toBe(true);
  });

  it('bounds the history of a long-lived store by time, not only by count', () => {
    let now = 0;
    const compacted = store({ now: () => now });
    const unbounded = store({ now: () => now, compactionIntervalMs: 0 });
    let first = 0;
    // An hour of cluster time with a write every second.
    for (let second = 0; second < 3600; second++) {
      now = second * 1000;
      const rv = put(compacted, `cm-${second % 10}`);
      put(unbounded, `cm-${second % 10}`);
      first ||= rv;
    }
    expect(resumable(unbounded, first)).toBe(true);
    expect(resumable(compacted, first)).toBe(false);
    // Ten minutes back (two intervals) is the most it keeps; five minutes back it must keep.
    const rvAt = (secondsAgo: number) => compacted.resourceVersion - secondsAgo;
    expect(resumable(compacted, rvAt(4 * 60))).toBe(true);
    expect(resumable(compacted, rvAt(11 * 60))).toBe(false);
  });

  it('without a clock (or with interval 0) only the count bound applies', () => {
    const s = store({ historySize: 3 });
    const a = put(s, 'a');
    put(s, 'b');
    put(s, 'c');
    expect(resumable(s, a)).toBe(true);
    put(s, 'd');
    put(s, 'e');
    expect(resumable(s, a)).toBe(false);
  });
});
