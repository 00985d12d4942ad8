#!/usr/bin/env node
/**
 * The agent's entry point in its image: `scars-agent <mode> [flags]` (the Dockerfile's ENTRYPOINT).
 * On a host with scars installed, `scars agent <mode> [flags]` does the same.
 */
import { RealHost } from './host/real.ts';
import { runAgent } from './run.ts';

process.exitCode = await runAgent(process.argv.slice(2), RealHost.forProcess());
