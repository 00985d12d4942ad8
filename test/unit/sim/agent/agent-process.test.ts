/** What a scars-agent container runs (its command and args against the image), and probe outputs. */
import type { Probe } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import type { HostFiles } from '../../../../src/agent/host.ts';
import { containerProgram, plainWords } from '../../../../src/sim/agent/agent-command.ts';
import { execProbe } from '../../../../src/sim/agent/agent-process.ts';
import { probeOutcome, type ProbeTarget } from '../../../../src/sim/kubelet/probes.ts';

describe('containerProgram', () => {
  it('no command and no args: the entrypoint with the CMD, serve', () => {
    expect(containerProgram({})).toEqual({ kind: 'agent', argv: ['serve'] });
  });
  it('args alone replace the CMD', () => {
    expect(containerProgram({ args: ['memhog', '--target', '1Gi'] })).toEqual({
      kind: 'agent',
      argv: ['memhog', '--target', '1Gi'],
    });
  });
  it('a command replaces the entrypoint and drops the CMD', () => {
    expect(containerProgram({ command: ['scars-agent', 'serve'], args: ['--port', '9090'] })).toEqual({
      kind: 'agent',
      argv: ['serve', '--port', '9090'],
    });
    expect(containerProgram({ command: ['/usr/local/bin/scars-agent'] })).toEqual({
      kind: 'agent',
      argv: [],
    });
    expect(
      containerProgram({ command: ['node', '/agent/scars-agent.mjs', 'dnsprobe'], args: ['--name', 'x'] }),
    ).toEqual({
      kind: 'agent',
      argv: ['dnsprobe', '--name', 'x'],
    });
  });
  it('sh -c with a plain agent command line', () => {
    expect(
      containerProgram({
        command: ['sh', '-c'],
        args: ['exec scars-agent serve --port=9090 "--warmup" \'5s\''],
      }),
    ).toEqual({
      kind: 'agent',
      argv: ['serve', '--port=9090', '--warmup', '5s'],
    });
    expect(containerProgram({ command: ['/bin/sh', '-c', 'sleep 5; scars-agent serve'] })).toEqual({
      kind: 'other',
      command: ['/bin/sh', '-c', 'sleep 5; scars-agent serve'],
    });
  });
  it('other programs of the image are not modelled', () => {
    expect(containerProgram({ command: ['sleep', '3600'] })).toEqual({
      kind: 'other',
      command: ['sleep', '3600'],
    });
    expect(containerProgram({ command: ['node', '/app/server.js'] })).toMatchObject({ kind: 'other' });
  });
  it('an executable the image does not hold cannot start', () => {
    expect(containerProgram({ command: ['bash', '-c', 'scars-agent serve'] })).toEqual({
      kind: 'missing',
      startError:
        'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "bash": executable file not found in $PATH: unknown',
    });
    expect(containerProgram({ command: ['/opt/app/run'] })).toMatchObject({
      startError: expect.stringContaining(
        'exec: "/opt/app/run": stat /opt/app/run: no such file or directory: unknown',
      ),
    });
    expect(containerProgram({ command: ['/usr/local/bin/sleep'] })).toMatchObject({ kind: 'missing' });
  });
  it('plainWords refuses shell syntax', () => {
    expect(plainWords(`a 'b c' "d"`)).toEqual(['a', 'b c', 'd']);
    for (const script of ['a; b', 'a && b', 'echo $HOME', 'a > f', '"unterminated', '# comment', 'a*'])
      expect(plainWords(script), script).toBeUndefined();
  });
});

describe('exec probes in the agent image', () => {
  const files: HostFiles = {
    readText: async (path) => {
      if (path === '/etc/config/ready') return 'yes\n';
      if (path === '/etc/config')
        throw new Error('cannot read /etc/config: EISDIR: illegal operation on a directory, read');
      throw new Error(`cannot read ${path}: no such file`);
    },
  };
  it('cat reads the container files; busybox words a missing one', async () => {
    expect(await execProbe(['cat', '/etc/config/ready'], files)).toEqual({
      type: 'exec',
      exitCode: 0,
      output: 'yes\n',
    });
    expect(await execProbe(['cat', '/tmp/healthy'], files)).toEqual({
      type: 'exec',
      exitCode: 1,
      output: "cat: can't open '/tmp/healthy': No such file or directory\n",
    });
    expect(await execProbe(['/bin/sh', '-c', 'cat /etc/config'], files)).toMatchObject({ exitCode: 1 });
  });
  it('test, true and false', async () => {
    expect(await execProbe(['test', '-f', '/etc/config/ready'], files)).toMatchObject({ exitCode: 0 });
    expect(await execProbe(['test', '-e', '/nope'], files)).toMatchObject({ exitCode: 1 });
    expect(await execProbe(['false'], files)).toMatchObject({ exitCode: 1 });
    expect(await execProbe(['true'], files)).toMatchObject({ exitCode: 0 });
  });
  it('an executable the image lacks is a runtime error', async () => {
    const reply = await execProbe(['curl', '-f', 'http://localhost:8080/healthz'], files);
    expect(reply.type).toBe('exec-error');
    expect(reply.type === 'exec-error' && reply.message).toMatch(
      /^rpc error: code = Unknown desc = failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": executable file not found in \$PATH: unknown$/,
    );
  });
});

describe('probe outputs for what the network says', () => {
  const target = {
    podIP: () => '127.64.0.5',
    ports: () => [{ name: 'http', containerPort: 8080 }],
  } as unknown as ProbeTarget;
  const http: Probe = { httpGet: { path: 'healthz', port: 'http' } };

  it('a refused HTTP probe reads as Go reports it', () => {
    expect(probeOutcome(http, { type: 'unreachable', reason: 'connection refused' }, target)).toEqual({
      result: 'failure',
      output: 'Get "http://127.64.0.5:8080/healthz": dial tcp 127.64.0.5:8080: connect: connection refused',
    });
  });
  it('a refused TCP probe', () => {
    expect(
      probeOutcome(
        { tcpSocket: { port: 9000 } },
        { type: 'unreachable', reason: 'connection refused' },
        target,
      ),
    ).toEqual({ result: 'failure', output: 'dial tcp 127.64.0.5:9000: connect: connection refused' });
  });
  it('an HTTP client error after connecting', () => {
    expect(probeOutcome(http, { type: 'http-error', message: 'EOF' }, target)).toEqual({
      result: 'failure',
      output: 'Get "http://127.64.0.5:8080/healthz": EOF',
    });
  });
  it('an exec the runtime cannot run is an error (not counted)', () => {
    expect(
      probeOutcome(
        { exec: { command: ['cat', '/tmp/healthy'] } },
        { type: 'exec-error', message: 'rpc error: x' },
        target,
      ),
    ).toEqual({ result: 'error', output: 'rpc error: x' });
  });
});
