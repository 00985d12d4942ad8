/**
 * SimHost on its own: files from the kubelet and from Secret/ConfigMap volumes (read at read
 * time), the memory model and what a kill leaves of the process.
 */
import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_BASELINE_BYTES, SimHost } from '../../../../src/sim/agent/sim-host.ts';
import { createSimCore, type SimContext } from '../../../../src/sim/context.ts';
import type { SimPod } from '../../../../src/sim/kinds/pod.ts';
import { resourceAt, type ResourceType } from '../../../../src/sim/kinds/registry.ts';
import type { ProcessHost } from '../../../../src/sim/kubelet/runtime.ts';
import type { KubeObject } from '../../../../src/sim/object.ts';
import { defaultTopology } from '../../../../src/sim/topology/load.ts';

const SECRETS = resourceAt('v1', 'secrets') as ResourceType;
const CONFIG_MAPS = resourceAt('v1', 'configmaps') as ResourceType;

let ctx: SimContext | undefined;
afterEach(async () => {
  await ctx?.network.close();
  ctx?.clock.stop();
  ctx = undefined;
});

interface Setup {
  volumes?: Volume[];
  mounts?: VolumeMount[];
  timeScale?: number;
  /** Runs before the container starts (objects its volumes show). */
  before?: (ctx: SimContext) => void;
}

function setup(options: Setup = {}) {
  ctx = createSimCore({ topology: defaultTopology(), timeScale: options.timeScale ?? 1000 });
  const c = ctx;
  options.before?.(c);
  const lines: string[] = [];
  let usageChanges = 0;
  const container: Container = { name: 'app', image: 'scars-agent', volumeMounts: options.mounts ?? [] };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe-1', namespace: 'default', uid: 'u1' },
    spec: { containers: [container], volumes: options.volumes ?? [] },
  } as SimPod;
  const process: ProcessHost = {
    clock: c.clock,
    containerName: 'app',
    role: 'regular',
    log: (line) => lines.push(line),
    exit: () => {},
    usageChanged: () => usageChanges++,
    invalidConfiguration: () => {},
    podIP: '127.64.1.9',
    nodeName: 'scars-worker',
    nodeIP: '127.18.0.3',
    startFailed: () => {},
  };
  const network = c.network.attach({ kind: 'pod', ip: process.podIP, log: (l) => lines.push(l) });
  const host = new SimHost({ pod, container, process, network, registry: c.registry });
  return { ctx: c, host, lines, usage: () => usageChanges };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('files', () => {
  it('the kubelet-managed files', async () => {
    const { host } = setup();
    expect(host.hostname).toBe('probe-1');
    expect(await host.files.readText('/etc/resolv.conf')).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(await host.files.readText('/etc/hostname')).toBe('probe-1\n');
    expect(await host.files.readText('/etc/hosts')).toMatch(/\n127\.64\.1\.9\tprobe-1\n$/);
    await expect(host.files.readText('/etc/passwd')).rejects.toThrow('cannot read /etc/passwd: no such file');
  });

  it('Secret and ConfigMap volumes, read when asked (a changed Secret shows on the next read)', async () => {
    const { ctx, host } = setup({
      volumes: [
        { name: 'certs', secret: { secretName: 'tls' } },
        {
          name: 'conf',
          configMap: { name: 'settings', items: [{ key: 'app.yaml', path: 'nested/app.yaml' }] },
        },
        { name: 'one', secret: { secretName: 'tls' } },
      ],
      mounts: [
        { name: 'certs', mountPath: '/etc/certs/' },
        { name: 'conf', mountPath: '/config', readOnly: true },
        { name: 'one', mountPath: '/etc/only-cert.pem', subPath: 'tls.crt' },
      ],
    });
    ctx.registry.create(
      SECRETS,
      'default',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'tls' },
        type: 'Opaque',
        data: { 'tls.crt': b64('CERT-1') },
        stringData: { 'tls.key': 'KEY-1' },
      } as KubeObject,
      { manager: 'test' },
    );
    ctx.registry.create(
      CONFIG_MAPS,
      'default',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings' },
        data: { 'app.yaml': 'level: debug\n', other: 'x' },
      } as KubeObject,
      { manager: 'test' },
    );

    expect(await host.files.readText('/etc/certs/tls.crt')).toBe('CERT-1');
    expect(await host.files.readText('/etc/certs/tls.key')).toBe('KEY-1');
    expect(await host.files.readText('/config/nested/app.yaml')).toBe('level: debug\n');
    await expect(host.files.readText('/config/other')).rejects.toThrow(
      'cannot read /config/other: no such file',
    );
    await expect(host.files.readText('/config/app.yaml')).rejects.toThrow('no such file');
    await expect(host.files.readText('/config/nested')).rejects.toThrow(
      'cannot read /config/nested: EISDIR: illegal operation on a directory, read',
    );

    // The subPath mount was set up when the container started: before the Secret existed.
    await expect(host.files.readText('/etc/only-cert.pem')).rejects.toThrow('no such file');

    const live = ctx.registry.get(SECRETS, 'default', 'tls');
    ctx.registry.replace(
      SECRETS,
      live,
      { ...live, data: { 'tls.crt': b64('CERT-2'), 'tls.key': b64('KEY-2') } } as KubeObject,
      { manager: 'test' },
    );
    expect(await host.files.readText('/etc/certs/tls.crt')).toBe('CERT-2');
  });

  it('a subPath mount keeps what the volume held at start', async () => {
    const { ctx, host } = setup({
      volumes: [{ name: 'v', secret: { secretName: 'tls' } }],
      mounts: [
        { name: 'v', mountPath: '/pem', subPath: 'tls.crt' },
        { name: 'v', mountPath: '/live' },
      ],
      before: (c) =>
        c.registry.create(
          SECRETS,
          'default',
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'tls' },
            data: { 'tls.crt': b64('OLD') },
          } as KubeObject,
          { manager: 'test' },
        ),
    });
    const live = ctx.registry.get(SECRETS, 'default', 'tls');
    ctx.registry.replace(SECRETS, live, { ...live, data: { 'tls.crt': b64('NEW') } } as KubeObject, {
      manager: 'test',
    });
    expect(await host.files.readText('/pem')).toBe('OLD');
    expect(await host.files.readText('/live/tls.crt')).toBe('NEW');
    await expect(host.files.readText('/live')).rejects.toThrow('EISDIR');
  });
});

describe('memory', () => {
  it('a baseline plus what is allocated, each change reported', () => {
    const { host, usage } = setup();
    expect(host.memory.workingSetBytes()).toBe(AGENT_BASELINE_BYTES);
    const block = host.memory.allocate(10 * 1024 * 1024);
    expect(host.memory.workingSetBytes()).toBe(AGENT_BASELINE_BYTES + 10 * 1024 * 1024);
    expect(usage()).toBe(1);
    host.memory.allocate(1);
    expect(host.memory.workingSetBytes()).toBe(AGENT_BASELINE_BYTES + 10 * 1024 * 1024 + 4096);
    block.release();
    block.release();
    expect(host.memory.workingSetBytes()).toBe(AGENT_BASELINE_BYTES + 4096);
    expect(usage()).toBe(3);
  });
});

describe('a killed process', () => {
  it('has no effect any more: no output, no memory, sleeps never end', async () => {
    const { host, lines, usage } = setup();
    let woke = false;
    void host.clock.sleep(10).then(() => (woke = true));
    host.stdout('before');
    host.kill();
    host.stdout('after');
    host.stderr('after');
    host.memory.allocate(1024 * 1024);
    expect(usage()).toBe(0);
    expect(host.memory.workingSetBytes()).toBe(0);
    let read = false;
    void host.files.readText('/etc/hostname').then(() => (read = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(woke).toBe(false);
    expect(read).toBe(false);
    expect(lines).toEqual(['before']);
  });

  it('SIGTERM aborts `terminated` and an aborted sleep rejects', async () => {
    const { host } = setup({ timeScale: 1 });
    const sleeping = host.clock.sleep(60_000, host.terminated);
    host.terminate();
    expect(host.terminated.aborted).toBe(true);
    await expect(sleeping).rejects.toThrow('received SIGTERM');
  });
});
