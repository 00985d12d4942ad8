/**
 * `serve --crash-path` (the container-crash fault's poison request) and the readiness a request
 * line records, on the real host, loopback only. The crash is checked in a spawned process, since
 * what matters is that the process really ends, with the exit code the kubelet will report.
 */
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/agent/host.ts';
import { RealHost } from '../../src/agent/host/real.ts';
import type { ServeEvent } from '../../src/agent/modes/serve.ts';
import type { AgentLine } from '../../src/agent/output.ts';
import { runToEnd, spawnAgent, startAgent } from '../support/real-agent.ts';
import { untilOk, waitFor } from '../support/wait.ts';

type Of<E, K> = Extract<E, { event: K }>;

const client = new RealHost({ loopbackOnly: true }).net;
const get = (url: string): Promise<HttpResponse> => client.http({ url, timeoutMs: 5000 });

describe('serve --crash-path', () => {
  it('a request to the path ends the process with exit code 1, a crash line and the summary', async () => {
    const agent = spawnAgent(['serve', '--port', '0', '--stats-interval', '0', '--crash-path', '/crash'], {
      timeoutMs: 15_000,
    });
    let port = 0;
    agent.onLine((l) => {
      if (l.event === 'listening') port = (l as AgentLine<Of<ServeEvent, 'listening'>>).port;
    });
    await waitFor('the listening line', () => port > 0, 10_000);
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(200);
    // The poison request's own answer may or may not make it out before the process is gone.
    await get(`http://127.0.0.1:${port}/crash`).catch(() => undefined);
    const exit = await agent.exited;
    expect(exit.signal).toBeNull();
    expect(exit.code).toBe(1);
    const tail = exit.lines.slice(-2);
    expect(tail[0]).toMatchObject({ event: 'crash', path: '/crash', exitCode: 1 });
    expect(tail[1]).toMatchObject({ event: 'summary', exitCode: 1, stoppedBy: 'error' });
  }, 20_000);

  it('refuses a crash path that is not a path, or is a health check', async () => {
    for (const bad of ['crash', '/healthz']) {
      const { code, agent } = await runToEnd(['serve', '--port', '0', '--crash-path', bad]);
      expect(code).toBe(2);
      expect(agent.stderr.join('\n')).toMatch(
        /--crash-path: .*a path starting with \/, other than \/healthz and \/readyz/,
      );
    }
  });
});

describe('serve request lines', () => {
  it('record whether the app was ready when the request arrived', async () => {
    const agent = startAgent([
      'serve',
      '--port',
      '0',
      '--stats-interval',
      '0',
      '--warmup',
      '300ms',
      '--log-requests',
    ]);
    const { port } = await agent.waitForEvent<Of<ServeEvent, 'listening'>>('listening');
    const base = `http://127.0.0.1:${port}`;
    expect((await get(`${base}/`)).status).toBe(200);
    await untilOk(
      'the warm-up to end',
      () => get(`${base}/readyz`),
      (r) => r.status === 200,
      5000,
    );
    expect((await get(`${base}/`)).status).toBe(200);
    agent.terminate();
    expect(await agent.done).toBe(0);
    const roots = agent.events<Of<ServeEvent, 'request'>>('request').filter((l) => l.path === '/');
    expect(roots.map((l) => [l.ready, l.terminating])).toEqual([
      [false, false],
      [true, false],
    ]);
  });
});
