/** `scars sim serve` as users run it: one ready line, a working kubeconfig, a clean exit on signals. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cliInProcess, startCli } from '../support/cli.ts';
import { findKubectl } from '../support/kubectl.ts';

const kubectl = findKubectl('default');

describe('scars sim serve', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serves until ${signal}, then stops and removes the kubeconfig it wrote`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'scars-serve-'));
      const kubeconfig = join(dir, 'kc.yaml');
      const serve = startCli([
        'sim',
        'serve',
        '--kubeconfig',
        kubeconfig,
        '--nodes',
        '2',
        '--time-scale',
        '60',
      ]);
      await serve.waitForOutput(
        /scars sim: ready at https:\/\/127\.0\.0\.1:\d+ · 2 nodes · time ×60 · KUBECONFIG=/,
      );
      expect(existsSync(kubeconfig)).toBe(true);
      if (kubectl) {
        const nodes = await execa(kubectl.path, ['get', 'nodes', '-o', 'name'], {
          env: { KUBECONFIG: kubeconfig, HOME: dir },
        });
        expect(nodes.stdout.split('\n')).toEqual(['node/scars-control-plane', 'node/scars-worker']);
      } else {
        console.warn('kubectl not found on PATH: checking the server with fetch only');
      }
      serve.child.kill(signal);
      const r = await serve.done;
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`scars sim: stopped \\(${signal}\\)`));
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      // Where clients on this machine reach the data plane.
      expect(lines[1]).toMatch(
        /^scars sim: cluster DNS at 127\.\d+\.\d+\.\d+:\d+ · Ingress http:\/\/127\.[\d.]+:\d+ https:\/\/127\.[\d.]+:\d+ · /,
      );
      expect(existsSync(kubeconfig)).toBe(false);
    });
  }

  it('bad flags: one line naming the flag and what was expected, exit 2', async () => {
    for (const [args, message] of [
      [['--nodes', '0'], /--nodes: expected a whole number from 1 to 5000, got 0/],
      [['--time-scale', '-1'], /--time-scale: expected a number > 0/],
      [['--port', '70000'], /--port: expected a port from 0 \(any free port\) to 65535, got 70000/],
      [['--nodes', '2', '--topology', 'default'], /--nodes and --topology: give one/],
      [
        ['--topology', 'no-such-topology'],
        /--topology: no topology file or name "no-such-topology"; expected a path to a SimTopology YAML file or one of: default, large, memory-pressure/,
      ],
    ] as const) {
      const r = await cliInProcess(['sim', 'serve', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('a bad topology file: one line with file, line and field, exit 2, nothing started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scars-topology-'));
    const file = join(dir, 'topology.yaml');
    writeFileSync(
      file,
      'apiVersion: scars.dev/v1alpha1\nkind: SimTopology\nnodes:\n  - role: worker\n    capacity: { memory: 8 GB }\n',
    );
    const r = await cliInProcess(['sim', 'serve', '--topology', file, '--kubeconfig', join(dir, 'kc')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /topology\.yaml:5: nodes\[0\]\.capacity\.memory: expected a quantity such as "4", "500m" or "8Gi", got "8 GB"$/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'kc'))).toBe(false);
  });
});
