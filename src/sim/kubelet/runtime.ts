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
  | { type: 'grpc'; status: 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN' }
  /** The prober could not connect (HTTP and TCP probes): Go's dial error names the reason. */
  | { type: 'unreachable'; reason: 'connection refused' | 'no route to host' }
  /** The HTTP client failed after connecting; `message` is Go's error text after `Get "<url>": `. */
  | { type: 'http-error'; message: string }
  /** The runtime could not run the exec probe's command (an error, not a result: not counted). */
  | { type: 'exec-error'; message: string };

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
  /** The pod's IP (the node's for hostNetwork pods). */
  readonly podIP: string;
  readonly nodeName: string;
  /** The node's InternalIP. */
  readonly nodeIP: string;
  /**
   * The runtime could not start the process (e.g. its executable is not in the image): the
   * container terminates with StartError (exit 128) and this message, as containerd reports it.
   * Only valid while the process is being created.
   */
  startFailed(message: string): void;
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

/**
 * Programs by image. Each sim context has its own (a program may hold that cluster's state, such
 * as its network), so clusters in one process never see each other's; the module-level one is
 * for programs that hold none.
 */
export class ProcessFactories {
  private readonly factories: ProcessFactory[] = [];

  /** Registers a program for matching images (the latest registration wins); returns its removal. */
  register(factory: ProcessFactory): () => void {
    this.factories.unshift(factory);
    return () => {
      const i = this.factories.indexOf(factory);
      if (i >= 0) this.factories.splice(i, 1);
    };
  }

  find(image: string): ProcessFactory | undefined {
    return this.factories.find((f) => f.matches(image));
  }
}

const processWide = new ProcessFactories();

/** Registers a program for matching images in every sim of this process; returns its removal. */
export function registerProcessFactory(factory: ProcessFactory): () => void {
  return processWide.register(factory);
}

/**
 * Starts the process for a container: a program registered for its image (the cluster's own
 * first, then process-wide ones), else the idle process.
 */
export function createProcess(
  container: Container,
  pod: SimPod,
  host: ProcessHost,
  local?: ProcessFactories,
): SimProcess {
  const image = container.image ?? '';
  const factory = local?.find(image) ?? processWide.find(image);
  return factory ? factory.create(container, pod, host) : new IdleProcess(container, pod, host);
}
