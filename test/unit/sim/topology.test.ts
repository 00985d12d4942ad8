/** Sim topologies: the shipped files resolve, allocatable is derived as the kubelet derives it, bad input is one line. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.ts';
import {
  defaultTopology,
  loadTopology,
  loadTopologyArg,
  resolveTopology,
} from '../../../src/sim/topology/load.ts';

const write = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'scars-topo-')), 'topology.yaml');
  writeFileSync(file, text);
  return file;
};

describe('sim topology', () => {
  it('clusters/sim/default.yaml is the built-in default', () => {
    const fromFile = loadTopology('clusters/sim/default.yaml');
    expect({ ...fromFile, source: '' }).toEqual({ ...defaultTopology(), source: '' });
    expect(fromFile.nodes.map((n) => n.name)).toEqual([
      'scars-control-plane',
      'scars-worker',
      'scars-worker2',
      'scars-worker3',
    ]);
    expect(fromFile.nodes[0]?.taints).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ]);
    expect(fromFile.nodes[1]?.taints).toEqual([]);
  });

  it('allocatable = capacity − system-reserved − kube-reserved − hard eviction threshold', () => {
    const t = loadTopologyArg('memory-pressure');
    const worker = t.nodes[1];
    // 2Gi − 128Mi − 128Mi − 200Mi; cpu 2 − 100m − 100m.
    expect(worker?.allocatable).toMatchObject({ memory: '1592Mi', cpu: '1800m', pods: '110' });
    expect(worker?.evictionHard).toEqual([
      { signal: 'memory.available', text: '200Mi', quantity: 200 * 1024 * 1024 },
    ]);
    expect(worker?.evictionSoft).toEqual([
      { signal: 'memory.available', text: '300Mi', quantity: 300 * 1024 * 1024, gracePeriodMs: 30_000 },
    ]);
    expect(worker?.evictionPressureTransitionPeriodMs).toBe(60_000);
  });

  it('setting one hard threshold drops the kubelet defaults for the others, as the kubelet does', () => {
    const t = resolveTopology({
      apiVersion: 'scars.dev/v1alpha1',
      kind: 'SimTopology',
      nodes: [{ evictionHard: { 'memory.available': '1Gi' } }],
    });
    expect(t.nodes[0]?.evictionHard.map((e) => e.signal)).toEqual(['memory.available']);
    expect(defaultTopology().nodes[0]?.evictionHard.map((e) => e.signal)).toEqual([
      'memory.available',
      'nodefs.available',
      'nodefs.inodesFree',
      'imagefs.available',
    ]);
  });

  it('1,000 nodes get distinct kind-style names and loopback addresses', () => {
    const t = loadTopologyArg('large');
    expect(t.nodes).toHaveLength(1000);
    expect(new Set(t.nodes.map((n) => n.internalIP)).size).toBe(1000);
    expect(new Set(t.nodes.map((n) => n.podCIDR)).size).toBe(1000);
    expect(t.nodes.every((n) => n.internalIP.startsWith('127.'))).toBe(true);
    expect(t.nodes.at(-1)?.name).toBe('scars-worker999');
  });

  it.each([
    [
      'nodes:\n  - role: worker\n    capacity: { memory: 8 GB }\n',
      /:5: nodes\[0\]\.capacity\.memory: expected a quantity/,
    ],
    [
      'nodes:\n  - role: worker\n    cout: 3\n',
      /:5: nodes\[0\]\.cout: unknown field \(did you mean "count"\?\)/,
    ],
    ['nodes:\n  - role: master\n', /:4: nodes\[0\]\.role: expected control-plane or worker/],
    ['nodes: []\n', /nodes: expected at least one node group/],
    [
      'nodes:\n  - role: worker\n    evictionPressureTransitionPeriod: soon\n',
      /evictionPressureTransitionPeriod: expected a duration/,
    ],
    ['nodes:\n  - name: a\n  - name: a\n', /nodes: node name "a" is used twice/],
  ])('bad input is one line naming file, line and field: %j', (body, message) => {
    const file = write(`apiVersion: scars.dev/v1alpha1\nkind: SimTopology\n${body}`);
    let error: unknown;
    try {
      loadTopology(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
