/**
 * Every line the agent writes, by mode: the contract the harness's observers read against
 * (src/observers/agent-log.ts). Each mode owns its event types; this only gathers them.
 */
import type { DnsfloodEvent } from './modes/dnsflood.ts';
import type { DnsprobeEvent } from './modes/dnsprobe.ts';
import type { HttpprobeEvent } from './modes/httpprobe.ts';
import type { ImdsprobeEvent } from './modes/imdsprobe.ts';
import type { MemhogEvent } from './modes/memhog.ts';
import type { ServeEvent } from './modes/serve.ts';
import type { TlsprobeEvent } from './modes/tlsprobe.ts';
import type { AgentModeName, CommonEvent } from './output.ts';

export type { AgentModeName } from './output.ts';

interface EventsByMode {
  memhog: MemhogEvent;
  dnsflood: DnsfloodEvent;
  dnsprobe: DnsprobeEvent;
  httpprobe: HttpprobeEvent;
  tlsprobe: TlsprobeEvent;
  imdsprobe: ImdsprobeEvent;
  serve: ServeEvent;
}

/** The lines a mode can write, its own and the common ones (start, error). */
export type AgentEventOf<M extends AgentModeName> = EventsByMode[M] | CommonEvent;

export type {
  DnsfloodEvent,
  DnsprobeEvent,
  HttpprobeEvent,
  ImdsprobeEvent,
  MemhogEvent,
  ServeEvent,
  TlsprobeEvent,
};
