/**
 * Preflight checks faults share. They read the cluster and change nothing; a failure names what is
 * missing and how to get it, before any object is created.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { CheckResult, RunContext } from '../harness/scenario.ts';

/** `docker.io/library/x:1` and `x:1` are the same image; nodes list the long form. */
export function normalise(image: string): string {
  return image.replace(/^docker\.io\/(library\/)?/, '');
}

/** A reference with a registry host (`ghcr.io/…`, `localhost:5000/…`) is pulled; a bare one must be loaded. */
export function hasRegistry(image: string): boolean {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

/** The agent image can start on the cluster: the sim runs it in-process; a real node must have it or pull it. */
export async function agentImagePreflight(ctx: RunContext): Promise<CheckResult> {
  const image = ctx.agentImage;
  if (ctx.simulated)
    return { ok: true, summary: `${image}: the simulated cluster runs the agent in-process` };
  if (hasRegistry(image) && !image.startsWith('localhost')) {
    return { ok: true, summary: `${image} will be pulled from its registry` };
  }
  const nodes = await ctx.kube.list<V1Node>('v1', 'Node');
  const want = normalise(image);
  const on = nodes.filter((n) =>
    (n.status?.images ?? []).some((i) => (i.names ?? []).some((name) => normalise(name) === want)),
  );
  if (on.length > 0) {
    return { ok: true, summary: `${image} is present on ${on.length}/${nodes.length} node(s)` };
  }
  return {
    ok: false,
    summary: `agent image ${image} is on none of the ${nodes.length} node(s): build it with \`npm run image:agent\` and load it with \`kind load docker-image ${image}\` (or set agent.image to an image in a registry)`,
  };
}
