/**
 * Pod kill: delete running replicas through the API (what `kubectl delete pod` does).
 * Nothing to undo: the pods' controller replaces them; that recovery is what the assertions watch.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Fault } from '../harness/scenario.ts';
import { shellWord } from './kubectl.ts';

export interface PodKillOptions {
  /** Label selector of the victims, e.g. `app=web`. */
  selector: string;
  /** How many pods to delete (default 1). */
  count?: number;
  /** 0 kills at once, like a crash; default 0. */
  gracePeriodSeconds?: number;
}

export function podKill(options: PodKillOptions): Fault {
  const count = options.count ?? 1;
  const grace = options.gracePeriodSeconds ?? 0;
  const killed: { name: string; uid: string }[] = [];
  return {
    name: 'pod-kill',
    describe: () => `delete ${count} pod(s) matching ${options.selector} (grace ${grace}s)`,
    kubectl: (ctx) => ({
      inject: [
        `kubectl get pods -n ${ctx.namespace} -l ${shellWord(options.selector)} -o name | head -n ${count} | xargs kubectl delete -n ${ctx.namespace} --grace-period=${grace}${grace === 0 ? ' --force' : ''}`,
      ],
      revert: ['# nothing to undo: the controller replaces the deleted pods'],
    }),
    async inject(ctx) {
      killed.length = 0;
      const pods = await ctx.kube.list<V1Pod>('v1', 'Pod', {
        namespace: ctx.namespace,
        labelSelector: options.selector,
      });
      const victims = pods
        .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
        .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
        .slice(0, count);
      for (const p of victims) {
        const name = p.metadata?.name ?? '';
        await ctx.kube.delete(
          { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name },
          { gracePeriodSeconds: grace },
        );
        killed.push({ name, uid: p.metadata?.uid ?? '' });
        ctx.record('pod-deleted', { pod: name });
      }
    },
    async observe(ctx) {
      if (killed.length === 0) {
        return { observed: false, summary: `no running pod matched ${options.selector}`, evidence: [] };
      }
      const live = await ctx.kube.list<V1Pod>('v1', 'Pod', {
        namespace: ctx.namespace,
        labelSelector: options.selector,
      });
      const liveUids = new Set(live.map((p) => p.metadata?.uid));
      const gone = killed.filter((k) => !liveUids.has(k.uid));
      return {
        observed: gone.length === killed.length,
        summary: `${gone.length}/${killed.length} killed pod(s) gone`,
        evidence: killed.map((k) => ({
          what: liveUids.has(k.uid) ? 'still present' : 'deleted',
          ref: `Pod/${k.name}`,
        })),
      };
    },
  };
}
