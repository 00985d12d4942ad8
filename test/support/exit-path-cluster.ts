/** The exit-path tests' cluster: a served sim whose project runs the exit-path fixtures. */
import { join } from 'node:path';
import { REPO } from './cli.ts';
import { type ServedSim, startServedSim } from './served-sim.ts';

export const EXIT_PATH_FIXTURES = join(REPO, 'test/fixtures/exit-paths');

/** Every built-in fault, by the fixture that injects it. */
export const FAULT_FIXTURES: Record<string, string> = {
  'cert-expiry': 'exit-cert-expiry',
  'container-crash': 'exit-container-crash',
  'cordon-node': 'exit-cordon-node',
  'coredns-flood': 'exit-coredns-flood-nodelocal',
  'imds-access': 'exit-imds-block',
  'liveness-storm': 'exit-liveness-cascade',
  'memory-hog': 'exit-oom-limits',
  'node-drain': 'exit-drain-with-pdb',
  'node-memory-pressure': 'exit-node-pressure-qos',
  'pod-kill': 'exit-pod-kill-availability',
};

export type ExitPathCluster = ServedSim;

export function startExitPathCluster(): Promise<ExitPathCluster> {
  return startServedSim(EXIT_PATH_FIXTURES, 'scars-exit-');
}
