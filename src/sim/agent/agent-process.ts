/**
 * The scars agent as a simulated container's process: the very mode code of `src/agent` run with
 * `runAgent(argv, simHost)`, its lines in the container's log, its exit code the container's.
 * Which argv, or whether the container runs the agent at all, is agent-command.ts's business.
 *
 * The kubelet's probes reach the agent through the sim network, as real requests from the node:
 * httpGet is an HTTP(S) GET to the pod IP and port (HTTPS unverified, as the kubelet does; its
 * User-Agent and the probe's headers), tcpSocket a TCP connect; nothing listening is a refused
 * connection with Go's wording. The agent serves no gRPC, so gRPC probes time out. Exec probes
 * are modelled for a few commands (see `execProbe`).
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import { HostNetworkError, type HostFiles } from '../../agent/host.ts';
import { runAgent } from '../../agent/run.ts';
import type { SimContext } from '../context.ts';
import type { Controller } from '../controllers/controller.ts';
import type { NetworkAttachment } from '../dataplane/pod-network.ts';
import type { SimPod } from '../kinds/pod.ts';
import { IdleProcess } from '../kubelet/idle-process.ts';
import { probeEndpoint, probeUrl } from '../kubelet/probes.ts';
import type {
  ProbeKind,
  ProbeReply,
  ProcessFactory,
  ProcessHost,
  Signal,
  SimProcess,
} from '../kubelet/runtime.ts';
import { KUBELET_VERSION } from '../nodes.ts';
import { containerProgram, inImage, notFoundReason, plainWords } from './agent-command.ts';
import { isAgentImage } from '../../agent/image.ts';
import { SimHost } from './sim-host.ts';

/** What the prober sends (the kubelet's User-Agent is `kube-probe/<major>.<minor>`). */
const PROBE_USER_AGENT = `kube-probe/${KUBELET_VERSION.replace(/^v/, '').split('.').slice(0, 2).join('.')}`;
/** The HTTP prober reads at most 10 KiB of a body. */
const PROBE_MAX_BODY = 10 * 1024;

const pending = (): Promise<ProbeReply> => new Promise<ProbeReply>(() => {});

export class AgentProcess implements SimProcess {
  private readonly host: SimHost;
  private readonly network: NetworkAttachment;
  /** The kubelet's side: probes come from the node, not from the pod. */
  private readonly prober: NetworkAttachment;
  private gone = false;

  constructor(
    private readonly container: Container,
    pod: SimPod,
    private readonly processHost: ProcessHost,
    ctx: SimContext,
    argv: readonly string[],
  ) {
    const podRef = { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' };
    this.network = ctx.network.attach({
      kind: pod.spec?.hostNetwork ? 'node' : 'pod',
      ip: processHost.podIP,
      nodeName: processHost.nodeName,
      pod: podRef,
      log: (line) => processHost.log(line),
    });
    this.prober = ctx.network.attach({
      kind: 'node',
      ip: processHost.nodeIP,
      nodeName: processHost.nodeName,
      log: () => {},
    });
    this.host = new SimHost({
      pod,
      container,
      process: processHost,
      network: this.network,
      registry: ctx.registry,
    });
    void this.run([...argv]);
  }

  private async run(argv: string[]): Promise<void> {
    let code: number;
    try {
      code = await runAgent(argv, this.host);
    } catch (err) {
      // An uncaught error ends a Node process with code 1 after printing it.
      this.host.stderr(err instanceof Error ? (err.stack ?? err.message) : String(err));
      code = 1;
    }
    if (this.gone) return;
    this.end();
    this.processHost.exit(code);
  }

  /** The process is gone: timers, output and sockets with it. */
  private end(): void {
    this.gone = true;
    this.host.kill();
    void this.network.close();
    void this.prober.close();
  }

  workingSetBytes(): number {
    return this.host.workingSetBytes();
  }

  signal(signal: Signal): void {
    if (this.gone) return;
    if (signal === 'SIGKILL') this.end();
    else this.host.terminate();
  }

  podUpdated(): void {
    // The agent reads no sim annotations; volume files are read from the registry when asked for.
  }

  probe(_kind: ProbeKind, probe: Probe): ProbeReply | Promise<ProbeReply> {
    if (this.gone) return pending();
    const target = {
      podIP: () => this.processHost.podIP,
      ports: () => this.container.ports ?? [],
    };
    const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
    if (probe.httpGet) {
      const ep = probeEndpoint(probe.httpGet.port, probe.httpGet.host, target);
      // The prober reports a port it cannot resolve itself, whatever the reply.
      if ('error' in ep) return { type: 'unreachable', reason: 'connection refused' };
      const headers: Record<string, string> = { 'user-agent': PROBE_USER_AGENT, accept: '*/*' };
      for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
      return this.prober
        .http({
          url: probeUrl(probe, ep),
          headers,
          timeoutMs,
          maxBodyBytes: PROBE_MAX_BODY,
          tls: { rejectUnauthorized: false },
        })
        .then((res): ProbeReply => ({ type: 'http', statusCode: res.status }), httpFailure);
    }
    if (probe.tcpSocket) {
      const ep = probeEndpoint(probe.tcpSocket.port, probe.tcpSocket.host, target);
      if ('error' in ep) return { type: 'tcp', connected: false };
      return this.prober.tcpConnect(ep.host, ep.port, timeoutMs).then(
        (): ProbeReply => ({ type: 'tcp', connected: true }),
        (err: unknown) => dialFailure(err) ?? pending(),
      );
    }
    if (probe.exec) return execProbe(probe.exec.command ?? [], this.host.files);
    // gRPC: the agent serves none; the prober's deadline decides.
    return pending();
  }
}

/** A failed dial as Go words it; undefined for a timeout (the prober's own deadline reports it). */
function dialFailure(err: unknown): ProbeReply | undefined {
  if (err instanceof HostNetworkError) {
    if (err.code === 'ETIMEDOUT') return undefined;
    if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH')
      return { type: 'unreachable', reason: 'no route to host' };
  }
  return { type: 'unreachable', reason: 'connection refused' };
}

function httpFailure(err: unknown): ProbeReply | Promise<ProbeReply> {
  if (err instanceof HostNetworkError) {
    if (err.code === 'ECONNRESET') return { type: 'http-error', message: 'EOF' };
    // An HTTPS probe answered in plain HTTP (Go's client says so in these words).
    if (err.code === 'EPROTO')
      return { type: 'http-error', message: 'http: server gave HTTP response to HTTPS client' };
  }
  return dialFailure(err) ?? pending();
}

/**
 * Exec probes in the agent image (busybox), modelled for what probes commonly run: `cat` of files
 * (the kubelet-managed ones and Secret/ConfigMap volumes; busybox's message for a missing one),
 * `test -e|-f <file>`, `true`, `false`, and those under `sh -c` as a plain word list. An
 * executable the image does not hold is an error from the runtime (the kubelet reports "probe
 * errored" and counts nothing). Anything else the image holds is not modelled: it exits 0.
 */
export async function execProbe(command: readonly string[], files: HostFiles): Promise<ProbeReply> {
  const [executable = '', ...args] = command;
  if (!inImage(executable))
    return {
      type: 'exec-error',
      message: `rpc error: code = Unknown desc = failed to exec in container: failed to start exec "${randomBytes(32).toString('hex')}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${executable}": ${notFoundReason(executable)}: unknown`,
    };
  const readable = async (path: string): Promise<string | Error> => {
    try {
      return await files.readText(path);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
  const exited = (exitCode: number, output = ''): ProbeReply => ({ type: 'exec', exitCode, output });
  switch (posix.basename(executable)) {
    case 'true':
      return exited(0);
    case 'false':
      return exited(1);
    case 'cat': {
      let output = '';
      let code = 0;
      for (const path of args) {
        const content = await readable(path);
        if (typeof content === 'string') output += content;
        else {
          code = 1;
          output += /EISDIR/.test(content.message)
            ? 'cat: read error: Is a directory\n'
            : `cat: can't open '${path}': No such file or directory\n`;
        }
      }
      return exited(code, output);
    }
    case 'test':
      if (args.length === 2 && (args[0] === '-e' || args[0] === '-f')) {
        const content = await readable(args[1] as string);
        return exited(typeof content === 'string' ? 0 : 1);
      }
      return exited(0);
    case 'sh':
    case 'ash': {
      const words = args[0] === '-c' && args[1] !== undefined ? plainWords(args[1]) : undefined;
      return words && words.length > 0 ? execProbe(words, files) : exited(0);
    }
    default:
      return exited(0);
  }
}

/** A container whose executable is not in the image: it fails to start (StartError). */
class UnstartedProcess implements SimProcess {
  constructor(host: ProcessHost, startError: string) {
    host.startFailed(startError);
  }
  workingSetBytes(): number {
    return 0;
  }
  probe(): Promise<ProbeReply> {
    return pending();
  }
  signal(): void {}
  podUpdated(): void {}
}

/** The program for `scars-agent` images of one sim cluster. */
export function agentProcessFactory(ctx: SimContext): ProcessFactory {
  return {
    matches: isAgentImage,
    create: (container, pod, host) => {
      const program = containerProgram(container);
      if (program.kind === 'agent') return new AgentProcess(container, pod, host, ctx, program.argv);
      if (program.kind === 'missing') return new UnstartedProcess(host, program.startError);
      host.log(
        `scars-sim: "${program.command.join(' ')}" is not the agent and the sim runs no other program; the container runs the idle process (sim.scars.dev/* annotations)`,
      );
      return new IdleProcess(container, pod, host);
    },
  };
}

/**
 * Runs the agent in the cluster's `scars-agent` containers while the kubelets run (registered on
 * start, removed on stop); on stop every listener still open is closed.
 */
export class AgentPrograms implements Controller {
  readonly name = 'agent-programs';
  private unregister: (() => void) | undefined;

  constructor(private readonly ctx: SimContext) {}

  start(): void {
    this.unregister ??= this.ctx.processes.register(agentProcessFactory(this.ctx));
  }

  stop(): void {
    this.unregister?.();
    this.unregister = undefined;
    void this.ctx.network.close();
  }
}
