import { describe, expect, it } from 'vitest';
import { NodePortAllocator } from '../../../src/sim/api/rest/allocators.ts';

describe('NodePortAllocator (the apiserver random scan with a static band)', () => {
  it('hands out random free ports above the static band 30000-30085', () => {
    const a = new NodePortAllocator();
    const ports = Array.from({ length: 200 }, () => a.allocate());
    expect(new Set(ports).size).toBe(200);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(30086);
      expect(p).toBeLessThanOrEqual(32767);
    }
    // Not in order: two allocators (two sims on one machine) do not both start at the same port.
    expect(ports).not.toEqual([...ports].sort((x, y) => x - y));
  });

  it('starts where the random source says and scans on past used ports', () => {
    const a = new NodePortAllocator(() => 0);
    expect(a.allocate()).toBe(30086);
    expect(a.allocate()).toBe(30087);
    const b = new NodePortAllocator(() => 0.999_999);
    expect(b.allocate()).toBe(32767);
    // The scan wraps within the dynamic range.
    expect(b.allocate()).toBe(30086);
  });

  it('uses the static band only when the rest is full, and says when everything is', () => {
    const a = new NodePortAllocator(() => 0);
    for (let p = 30086; p <= 32767; p++) a.allocate(p);
    expect(a.allocate()).toBe(30000);
    for (let p = 30001; p <= 30085; p++) a.allocate(p);
    expect(() => a.allocate()).toThrow(/range is full/);
  });

  it('gives a requested port if free, refuses it if taken or out of range, and takes back released ones', () => {
    const a = new NodePortAllocator(() => 0);
    expect(a.allocate(30007)).toBe(30007);
    expect(() => a.allocate(30007)).toThrow(/provided port is already allocated/);
    expect(() => a.allocate(29999)).toThrow(/The range of valid ports is 30000-32767/);
    a.release(30007);
    expect(a.allocate(30007)).toBe(30007);
  });
});
