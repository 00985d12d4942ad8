#!/usr/bin/env node
// Entry point: register tsx so the CLI and scenario files run as TypeScript without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
