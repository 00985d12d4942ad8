#!/usr/bin/env node
// Entry point: register tsx so the CLI and scenario files run as TypeScript without a build step.
import { register } from 'tsx/esm/api';

// The heavy dependencies are plain JavaScript (about a thousand modules, client-node's models
// mostly). Loaded before tsx registers its hooks, they skip its loader thread, which would
// nearly double their load time; later imports from TypeScript get these same instances.
await Promise.all([import('@kubernetes/client-node'), import('execa'), import('zod')]);
register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
