/**
 * The container "process" port: what the simulated runtime asks of whatever runs inside a
 * container (its memory, its answers to probes, how it reacts to signals). The kubelet model
 * drives containers only through this, so a real program (the scars agent, for images named
 * `scars-agent`) can be plugged in next to the annotation-driven idle process.
 */
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { SimClock } from '../clock.ts';
import type { SimPod } from '../kinds/pod.ts';
import type { ProbeKind } from './annotations.ts';
import { IdleProcess } from './idle-process.ts';

export type { ProbeKind } from './annotations.ts';

export type Signal = 'SIGTERM' | 'SIGKILL';

/** init: runs to completion before the others; sidecar: an init container with restartPolicy Always. */
export type ContainerRole = 'init' | 'sidecar' | 'regular';

/** What the application answered, by probe handler; the prober turns it into a result and an output. */
export type ProbeReply =
  | { type: 'http'; statusCode: number }
  | { type: 'tcp'; connected: boolean }
  | { type: 'exec'; exitCode: number; output: string }
  | { type: 'grpc'; status: 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN' };

/** What the runtime offers a process. */
export interface ProcessHost {
  readonly clock: SimClock;
  readonly containerName: string;
  readonly role: ContainerRole;
  /** Writes a line to the container's log (`kubectl logs`). */
  log(text: string): void;
  /** The process exits by itself with this code. */
  exit(code: number): void;
  /** The working set changed (allocation, ramp step, new target): the runtime re-samples it. */
  usageChanged(): void;
  /** A pod annotation the process reads did not parse; reported once as a pod event. */
  invalidConfiguration(message: string): void;
}

export interface SimProcess {
  /** Working set in bytes now. */
  workingSetBytes(): number;
  /**
   * Answers a probe; a synchronous answer costs no timer. The prober gives up after the probe's
   * timeout whatever the process does.
   */
  probe(kind: ProbeKind, probe: Probe): ProbeReply | Promise<ProbeReply>;
  /** SIGTERM: the process decides when (and with which code) to exit. SIGKILL: it is gone; stop everything. */
  signal(signal: Signal): void;
  /** The pod object changed (faults patch annotations on live pods). */
  podUpdated(pod: SimPod): void;
}

export interface ProcessFactory {
  matches(image: string): boolean;
  create(container: Container, pod: SimPod, host: ProcessHost): SimProcess;
}

const factories: ProcessFactory[] = [];

/** Registers a program for matching images (the latest registration wins); returns its removal. */
export function registerProcessFactory(factory: ProcessFactory): () => void {
  factories.unshift(factory);
  return () => {
    const i = factories.indexOf(factory);
    if (i >= 0) factories.splice(i, 1);
  };
}

/** Starts the process for a container: a registered program for its image, else the idle process. */
export function createProcess(container: Container, pod: SimPod, host: ProcessHost): SimProcess {
  const image = container.image ?? '';
  for (const f of factories) if (f.matches(image)) return f.create(container, pod, host);
  return new IdleProcess(container, pod, host);
}
