/** The agent's modes, in the order `--help` lists them. */
import type { AgentMode } from '../mode.ts';
import { dnsfloodMode } from './dnsflood.ts';
import { dnsprobeMode } from './dnsprobe.ts';
import { httpprobeMode } from './httpprobe.ts';
import { imdsprobeMode } from './imdsprobe.ts';
import { memhogMode } from './memhog.ts';
import { serveMode } from './serve.ts';
import { tlsprobeMode } from './tlsprobe.ts';

export const MODES: readonly AgentMode[] = [
  memhogMode,
  dnsfloodMode,
  dnsprobeMode,
  httpprobeMode,
  tlsprobeMode,
  imdsprobeMode,
  serveMode,
];
