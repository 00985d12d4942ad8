import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podMemoryRequest } from '../../../src/faults/node-memory-pressure.ts';

const Mi = 2 ** 20;
const c = (name: string, memory?: string, restartPolicy?: string): V1Container => ({
  name,
  ...(memory ? { resources: { requests: { memory } } } : {}),
  ...(restartPolicy ? { restartPolicy } : {}),
});

describe('podMemoryRequest (what the fill must leave to the pods already on the node)', () => {
  it('sums regular containers; a BestEffort pod holds nothing', () => {
    expect(podMemoryRequest({ spec: { containers: [c('a', '100Mi'), c('b', '28Mi')] } })).toBe(128 * Mi);
    expect(podMemoryRequest({ spec: { containers: [c('a')] } })).toBe(0);
  });

  it('counts sidecars with the regular containers, a larger init container instead, and the overhead', () => {
    const pod: V1Pod = {
      spec: {
        initContainers: [c('sidecar', '32Mi', 'Always'), c('migrate', '512Mi')],
        containers: [c('app', '128Mi')],
        overhead: { memory: '16Mi' },
      },
    };
    // max(128 + 32, 32 + 512) + 16
    expect(podMemoryRequest(pod)).toBe(560 * Mi);
    pod.spec!.initContainers = [c('sidecar', '32Mi', 'Always'), c('migrate', '64Mi')];
    expect(podMemoryRequest(pod)).toBe((128 + 32 + 16) * Mi);
  });
});
