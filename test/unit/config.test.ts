/** The config's agent section: the image scenarios deploy and the sim recognises. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAgentImage } from '../../src/agent/image.ts';
import { defaultConfig, loadConfig } from '../../src/harness/config.ts';
import { VERSION } from '../../src/version.ts';

function configDir(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'scars-config-'));
  writeFileSync(join(dir, 'scars.config.yaml'), yaml);
  return dir;
}

describe('config agent.image', () => {
  it('defaults to scars-agent:<version>, which the sim runs as the agent', () => {
    const image = defaultConfig().agent.image;
    expect(image).toBe(`scars-agent:${VERSION}`);
    expect(isAgentImage(image)).toBe(true);
  });

  it('takes an image in a registry', async () => {
    const config = await loadConfig(undefined, configDir('agent:\n  image: ghcr.io/acme/scars-agent:dev\n'));
    expect(config.agent.image).toBe('ghcr.io/acme/scars-agent:dev');
  });

  it('rejects an image of another name with one line naming file, line and field', async () => {
    const dir = configDir('provider: sim\nagent:\n  image: acme/agent:1\n');
    await expect(loadConfig(undefined, dir)).rejects.toThrow(
      `scars.config.yaml:3: agent.image: expected an image named scars-agent (any registry and tag), such as ghcr.io/acme/scars-agent:${VERSION}`,
    );
  });
});
