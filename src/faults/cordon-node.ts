/**
 * Cordon: mark a node unschedulable, as `kubectl cordon` does (strategic merge patch of spec.unschedulable).
 * Journalled with its inverse patch, so revert (or `scars cleanup`) uncordons exactly what was cordoned.
 * The run claims the node first (the journalled client does it with the patch), so no concurrent
 * run cordons it too and re-cordons it at its own revert; a named node another run holds fails preflight.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { Fault, RunContext } from '../harness/scenario.ts';
import { shellLine } from './kubectl.ts';
import { nodeClaimPreflight, pickAndClaim } from './node-claims.ts';

export interface CordonOptions {
  /** A node name, or a function picking one (e.g. the node a workload runs on). */
  node: string | ((ctx: RunContext) => Promise<string>);
}

export function cordonNode(options: CordonOptions): Fault {
  let target: string | undefined;
  return {
    name: 'cordon-node',
    describe: () =>
      `mark node ${typeof options.node === 'string' ? options.node : '(chosen at run time)'} unschedulable`,
    kubectl: () => {
      const node = typeof options.node === 'string' ? options.node : '<node>';
      return {
        inject: [shellLine(['kubectl', 'cordon', node])],
        revert: [shellLine(['kubectl', 'uncordon', node])],
      };
    },
    preflight: (ctx) => nodeClaimPreflight(ctx, typeof options.node === 'string' ? [options.node] : []),
    async inject(ctx) {
      target = await pickAndClaim(ctx, options.node);
      await ctx.kube.patch(
        { apiVersion: 'v1', kind: 'Node', name: target },
        { spec: { unschedulable: true } },
        'strategic',
      );
      ctx.record('node-cordoned', { node: target });
    },
    async observe(ctx) {
      if (!target) return { observed: false, summary: 'no node was cordoned', evidence: [] };
      const node = await ctx.kube.read<V1Node>({ apiVersion: 'v1', kind: 'Node', name: target });
      const cordoned = node?.spec?.unschedulable === true;
      return {
        observed: cordoned,
        summary: `node ${target} ${cordoned ? 'is' : 'is not'} unschedulable`,
        evidence: [
          { what: `spec.unschedulable=${String(node?.spec?.unschedulable ?? false)}`, ref: `Node/${target}` },
        ],
      };
    },
  };
}
