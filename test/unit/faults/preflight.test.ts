import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { agentImagePreflight } from '../../../src/faults/preflight.ts';
import type { RunContext } from '../../../src/harness/scenario.ts';

/** Just enough of a RunContext for a read-only check: nodes with the images their status lists. */
function ctxWith(agentImage: string, simulated: boolean, images: string[][]): RunContext {
  const nodes: V1Node[] = images.map((names, i) => ({
    metadata: { name: `kind-worker${i}` },
    status: { images: names.length ? [{ names }] : [] },
  }));
  return {
    agentImage,
    simulated,
    kube: { list: async () => nodes },
  } as unknown as RunContext;
}

describe('agentImagePreflight', () => {
  it('the sim runs the agent in-process: no image needed', async () => {
    const r = await agentImagePreflight(ctxWith('scars-agent:0.1.0', true, [[]]));
    expect(r).toMatchObject({ ok: true, summary: expect.stringMatching(/in-process/) });
  });

  it('a loaded image is found under its docker.io/library name (kind load docker-image)', async () => {
    const r = await agentImagePreflight(
      ctxWith('scars-agent:0.1.0', false, [['docker.io/library/scars-agent:0.1.0'], []]),
    );
    expect(r).toMatchObject({ ok: true, summary: 'scars-agent:0.1.0 is present on 1/2 node(s)' });
  });

  it('an image on no node fails before anything is deployed, saying how to build and load it', async () => {
    const r = await agentImagePreflight(
      ctxWith('scars-agent:0.1.0', false, [['docker.io/library/scars-agent:0.0.9'], []]),
    );
    expect(r.ok).toBe(false);
    expect(r.summary).toMatch(/agent image scars-agent:0\.1\.0 is on none of the 2 node\(s\)/);
    expect(r.summary).toMatch(/npm run image:agent.*kind load docker-image scars-agent:0\.1\.0/);
  });

  it('an image in a registry is pulled, so it need not be on a node yet', async () => {
    const r = await agentImagePreflight(ctxWith('ghcr.io/acme/scars-agent:0.1.0', false, [[]]));
    expect(r).toMatchObject({ ok: true, summary: expect.stringMatching(/pulled from its registry/) });
  });
});
