/**
 * What node-choosing faults do about node claims (src/harness/node-claim.ts): pickers pass over
 * nodes another run has claimed, and a scenario that names such a node fails preflight, before
 * anything is deployed, with who holds it and how to free it.
 */
import type { V1Node } from '@kubernetes/client-node';
import { describeClaim, foreignClaim, type NodeClaim, NodeClaimedError } from '../harness/node-claim.ts';
import type { CheckResult, RunContext } from '../harness/scenario.ts';

export interface ClaimedNode {
  node: string;
  claim: NodeClaim;
}

/** The nodes among `names` that another run has claimed (nodes that do not exist are not listed). */
export async function claimedByOthers(ctx: RunContext, names: readonly string[]): Promise<ClaimedNode[]> {
  if (names.length === 0) return [];
  const wanted = new Set(names);
  const nodes = await ctx.kube.list<V1Node>('v1', 'Node');
  const out: ClaimedNode[] = [];
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    const claim = wanted.has(name) ? foreignClaim(n, ctx.runId) : undefined;
    if (claim) out.push({ node: name, claim });
  }
  return out;
}

/** `names` without the nodes other runs hold; throws naming the holders when that leaves none. */
export async function withoutClaimed(
  ctx: RunContext,
  names: readonly string[],
  what: string,
): Promise<string[]> {
  const claimed = await claimedByOthers(ctx, names);
  const taken = new Set(claimed.map((c) => c.node));
  const free = names.filter((n) => !taken.has(n));
  const first = claimed[0];
  if (free.length === 0 && first) {
    if (claimed.length === 1) throw new NodeClaimedError(first.node, first.claim);
    throw new Error(
      `every node of ${what} is claimed by another scars run: ${claimed.map((c) => describeClaim(c.node, c.claim)).join('; ')}`,
    );
  }
  return free;
}

/** Preflight for faults given fixed node names: none may be claimed by another run. */
export async function nodeClaimPreflight(ctx: RunContext, names: readonly string[]): Promise<CheckResult> {
  const claimed = await claimedByOthers(ctx, names);
  if (claimed.length === 0)
    return {
      ok: true,
      summary: names.length
        ? `no other scars run holds ${names.join(', ')}`
        : 'no node named in advance (one is chosen at inject, passing over nodes other runs hold)',
    };
  return { ok: false, summary: claimed.map((c) => describeClaim(c.node, c.claim)).join('; ') };
}

/** Both checks in turn: the first that fails is the answer. */
export async function allOf(...checks: (() => Promise<CheckResult>)[]): Promise<CheckResult> {
  const summaries: string[] = [];
  for (const check of checks) {
    const r = await check();
    if (!r.ok) return r;
    summaries.push(r.summary);
  }
  return { ok: true, summary: summaries.join('; ') };
}

/** How often a picker may choose again after the node it chose was claimed by another run meanwhile. */
const PICK_ATTEMPTS = 5;

/**
 * The node(s) a fault acts on, each claimed for this run. A picker reads claims when it chooses,
 * but another run may claim its choice before this one does: then it chooses again (it passes over
 * that node now). A named node another run holds is an error at once.
 */
export async function pickAndClaim<T extends string | string[]>(
  ctx: RunContext,
  choice: T | ((ctx: RunContext) => T | Promise<T>),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const chosen = typeof choice === 'function' ? await choice(ctx) : choice;
    try {
      for (const node of new Set([chosen].flat())) await ctx.kube.claimNode(node);
      return chosen;
    } catch (err) {
      if (!(err instanceof NodeClaimedError) || typeof choice !== 'function' || attempt >= PICK_ATTEMPTS)
        throw err;
      ctx.record('node-claimed-elsewhere', { node: err.node, by: err.claim.runId });
    }
  }
}
