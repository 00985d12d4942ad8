import { describe, expect, it } from 'vitest';
import { imageName, isAgentImage } from '../../../src/agent/image.ts';

describe('isAgentImage', () => {
  it.each([
    'scars-agent',
    'scars-agent:0.1.0',
    'scars-agent:latest',
    'ghcr.io/acme/scars-agent:dev',
    'docker.io/library/scars-agent',
    'localhost:5000/scars-agent',
    'localhost:5000/scars-agent:1.2',
    `localhost:5000/scars-agent@sha256:${'a'.repeat(64)}`,
    `registry.example.com:443/team/tools/scars-agent:v2@sha256:${'b'.repeat(64)}`,
  ])('%s is the agent', (image) => {
    expect(isAgentImage(image)).toBe(true);
  });

  it.each([
    'scars-agent-foo',
    'myscars-agent',
    'scars-agent-foo:1.0',
    'ghcr.io/acme/scars-agent-debug:dev',
    'scars-agent/nginx:1.27',
    'localhost:5000/scars-agentx',
    'nginx:1.27',
    '',
  ])('%s is not', (image) => {
    expect(isAgentImage(image)).toBe(false);
  });

  it('a registry port is not a tag', () => {
    expect(imageName('localhost:5000/scars-agent')).toBe('scars-agent');
    expect(imageName('localhost:5000/x/scars-agent:5000')).toBe('scars-agent');
  });
});
