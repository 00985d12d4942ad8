/**
 * What a run may change: its own namespace, the extra namespaces and the nodes its scenario declares.
 * Checked on every mutation before it is journalled or sent.
 */
import { BlastRadiusError } from '../errors.ts';
import { formatRef, type KubeRef } from './kube-ref.ts';

export interface BlastRadius {
  runNamespace: string;
  /** Namespaces outside the run's that the scenario declares it touches (e.g. kube-system for CoreDNS). */
  namespaces: readonly string[];
  /** Nodes the scenario may cordon, drain or pressure: `any`, a list of names, or none. */
  nodes: 'any' | readonly string[];
}

export function checkMutation(radius: BlastRadius, ref: KubeRef): void {
  if (ref.kind === 'Namespace' && !ref.namespace) {
    if (ref.name === radius.runNamespace || radius.namespaces.includes(ref.name)) return;
    throw new BlastRadiusError(
      `blast radius: refusing to change ${formatRef(ref)}: only the run namespace ${radius.runNamespace} may be created or deleted`,
    );
  }
  if (ref.kind === 'Node') {
    if (radius.nodes === 'any' || radius.nodes.includes(ref.name)) return;
    throw new BlastRadiusError(
      `blast radius: refusing to change ${formatRef(ref)}: the scenario does not declare node scope (set nodes: 'any' or list the node)`,
    );
  }
  if (!ref.namespace) {
    throw new BlastRadiusError(`blast radius: refusing to change cluster-scoped ${formatRef(ref)}`);
  }
  if (ref.namespace === radius.runNamespace || radius.namespaces.includes(ref.namespace)) return;
  throw new BlastRadiusError(
    `blast radius: refusing to change ${formatRef(ref)}: namespace ${ref.namespace} is outside the run (declare it in namespaces: [...])`,
  );
}
