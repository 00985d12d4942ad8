/**
 * The cloud instance-metadata service at 169.254.169.254, as the sim's nodes see it: the sim
 * models a cloud node, so pods can reach an IMDS (AWS v1/v2, GCP, Azure paths) unless a
 * NetworkPolicy stops them — the exposure the IMDS scenarios look for.
 *
 * The address exists only inside the sim: nothing is ever sent to 169.254.169.254. The agent's
 * fake IMDS handler (src/agent/imds/fake-imds.ts, the same one `serve --imds` runs) answers on a
 * real HTTP listener at 127.0.0.1 with an ephemeral port, and the `deliver` stage maps
 * 169.254.169.254:80/tcp there. NetworkPolicy's `admit` runs before `deliver`, so an egress
 * policy with `ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}` drops it for the pods
 * it selects (their requests time out) while other pods still get credentials. hostNetwork pods
 * and the node itself are not subject to policies, so they always reach it, as on a real node.
 * Clients outside the sim (the test process, k6) are not on a cloud node: not delivered to them.
 *
 * Not modelled: the IMDSv2 hop limit (the PUT's reply TTL that keeps IMDSv2 tokens from pods
 * behind one more hop), and ports other than 80 (dropped).
 */
import type { OutgoingResponse } from '../../agent/host.ts';
import { listenHttp, type RealListener } from '../../agent/host/real-http.ts';
import { createFakeImds } from '../../agent/imds/fake-imds.ts';
import { credentialBytesIn } from '../../agent/modes/imdsprobe.ts';
import type { SimContext } from '../context.ts';
import type { DataPlanePart, HostAddress } from './part.ts';
import type { Destination, NetworkSource, Route, RoutingStage } from './pod-network.ts';

export const METADATA_ADDRESS = '169.254.169.254';
const METADATA_PORT = 80;

export interface MetadataServiceOptions {
  /** Serve the metadata address at all (default true: the sim models a cloud node). */
  enabled?: boolean;
  /** The IAM role of the instance profile (default `scars-fake-role`, the fake IMDS's). */
  role?: string;
  /** IMDSv2 only (`HttpTokens: required`): GETs without a session token get 401 (default false). */
  requireToken?: boolean;
}

export interface MetadataServiceStats {
  /** HTTP requests the fake IMDS answered. */
  requests: number;
  /** Answers that carried credentials (AWS role credentials, GCP or Azure tokens). */
  credentialResponses: number;
}

const NOT_FOUND: OutgoingResponse = {
  status: 404,
  headers: { 'content-type': 'text/plain' },
  body: 'Not Found',
};

const bytesOf = (body: OutgoingResponse['body']): Uint8Array =>
  body === undefined ? new Uint8Array() : typeof body === 'string' ? new TextEncoder().encode(body) : body;

export class FakeMetadataService implements DataPlanePart, RoutingStage {
  readonly name = 'metadata-service';
  private readonly options: Required<Omit<MetadataServiceOptions, 'role'>> & { role?: string };
  private listener: RealListener | undefined;
  private opening: Promise<void> | undefined;
  private removeStage: (() => void) | undefined;
  private readonly counters: MetadataServiceStats = { requests: 0, credentialResponses: 0 };

  constructor(
    readonly ctx: SimContext,
    options: MetadataServiceOptions = {},
  ) {
    this.options = {
      enabled: options.enabled ?? true,
      requireToken: options.requireToken ?? false,
      ...(options.role !== undefined ? { role: options.role } : {}),
    };
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  start(): void {
    if (!this.options.enabled) return;
    this.removeStage ??= this.ctx.network.use(this);
    if (this.opening) return;
    // One instance per cluster: the same fake credentials for every node, as one instance profile.
    const imds = createFakeImds({
      clock: this.ctx.clock,
      requireToken: this.options.requireToken,
      ...(this.options.role !== undefined ? { role: this.options.role } : {}),
    });
    this.opening = listenHttp({ address: '127.0.0.1', port: 0 }, async (request) => {
      this.counters.requests++;
      const answer = (await imds(request)) ?? NOT_FOUND;
      if (answer.status === 200 && credentialBytesIn(bytesOf(answer.body)) > 0)
        this.counters.credentialResponses++;
      return answer;
    }).then((listener) => {
      this.listener = listener;
    });
  }

  stop(): void {
    this.removeStage?.();
    this.removeStage = undefined;
  }

  /** Resolves once the listener is open (at once when the service is disabled). */
  ready(): Promise<void> {
    return this.opening ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.stop();
    await this.opening?.catch(() => undefined);
    const listener = this.listener;
    this.listener = undefined;
    this.opening = undefined;
    await listener?.abort();
  }

  /** 169.254.169.254:80 from pods and nodes → the real listener. */
  deliver(dest: Destination, source: NetworkSource): Route | undefined {
    if (dest.ip !== METADATA_ADDRESS || dest.port !== METADATA_PORT || dest.transport !== 'tcp')
      return undefined;
    if (source.kind === 'host' || !this.listener) return undefined;
    return { kind: 'real', address: '127.0.0.1', port: this.listener.port, mapped: true };
  }

  /** Where the fake IMDS really listens (for tests and tools that want it without the sim's routing). */
  address(): HostAddress {
    if (!this.listener)
      throw new Error(
        this.options.enabled
          ? 'metadata service: not listening yet (await ready())'
          : 'metadata service: disabled',
      );
    return { host: '127.0.0.1', port: this.listener.port };
  }

  stats(): MetadataServiceStats {
    return { ...this.counters };
  }
}
