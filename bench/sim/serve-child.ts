/** A sim in its own process (its own core), for client-side benchmarks: prints its kubeconfig path, stops on SIGTERM. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimCluster } from '../../src/sim/cluster.ts';

const sim = await startSimCluster({ nodes: 3, tls: !process.argv.includes('--http'), apiOnly: true });
const path = join(mkdtempSync(join(tmpdir(), 'scars-bench-sim-')), 'kubeconfig');
await sim.writeKubeconfig(path);
process.stdout.write(`${path}\n`);
process.once('SIGTERM', () => {
  void sim.stop().then(() => process.exit(0));
});
