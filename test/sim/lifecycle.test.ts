/** A stopped sim leaves nothing behind: no listening socket, no timers, no open watch connections. */
import { describe, expect, it } from 'vitest';
import { startSimCluster } from '../../src/sim/cluster.ts';

const active = () =>
  process
    .getActiveResourcesInfo()
    .filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap' || r === 'Timeout')
    .sort();

describe('sim lifecycle', () => {
  it('stop() closes the server, open watches and timers', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const before = active();
    const sim = await startSimCluster({ tls: false, bookmarkIntervalMs: 50 });
    const controller = new AbortController();
    const res = await fetch(`${sim.url}/api/v1/pods?watch=1&allowWatchBookmarks=true`, {
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(active().length).toBeGreaterThan(before.length);
    await sim.stop();
    controller.abort();
    await new Promise((r) => setTimeout(r, 100));
    // Nothing the sim opened is still there (the test runner's own handles may come and go).
    const count = (list: string[], kind: string) => list.filter((r) => r === kind).length;
    for (const kind of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) {
      expect(count(active(), kind), kind).toBeLessThanOrEqual(count(before, kind));
    }
    await expect(fetch(`${sim.url}/version`)).rejects.toThrow();
  });
});
