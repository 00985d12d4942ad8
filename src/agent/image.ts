/**
 * The agent image's name. The config's `agent.image` must carry it, and the sim runs the agent for
 * every container whose image is named `scars-agent`, whatever the registry, path, tag or digest (`scars-agent`, `scars-agent:0.1.0`,
 * `ghcr.io/acme/scars-agent:dev`, `localhost:5000/scars-agent@sha256:…`). Only the last path
 * component counts, and it must be exactly the name: `scars-agent-foo` and `myscars-agent` are
 * other images.
 */
export const AGENT_IMAGE_NAME = 'scars-agent';

/** The repository's last path component of an image reference (no registry, path, tag or digest). */
export function imageName(image: string): string {
  let rest = image.trim();
  const at = rest.indexOf('@');
  if (at >= 0) rest = rest.slice(0, at);
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  // A colon after the last slash starts the tag; one before it belongs to a registry's port.
  if (colon > slash) rest = rest.slice(0, colon);
  return rest.slice(rest.lastIndexOf('/') + 1);
}

export function isAgentImage(image: string): boolean {
  return imageName(image) === AGENT_IMAGE_NAME;
}
