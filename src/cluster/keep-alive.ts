/**
 * client-node 1.x builds a new https.Agent for every API call (KubeConfig.applySecurityAuthentication),
 * so every request pays a TCP and TLS handshake, and a run that polls a cluster opens thousands of
 * connections. This KubeConfig keeps what client-node computes (CA, client certificate, headers) but
 * reuses one keep-alive agent per cluster, as client-go's transport does.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { VERSION } from '../version.ts';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

const MAX_SOCKETS = 64;

/**
 * Who scars is in the cluster's audit log and in managedFields, in client-go's `binary/version
 * (os/arch)` form; without it every request says `node-fetch/1.0`, like any other Node client.
 */
export const SCARS_USER_AGENT = `scars/${VERSION} (${process.platform}/${process.arch})`;

/** Loads `from`'s clusters, users and contexts into `into` (a subclass adding behaviour). */
export function copyKubeConfig<T extends KubeConfig>(from: KubeConfig, into: T): T {
  // loadFromOptions keeps the parsed entries as they are (resolved file paths, exec plugins).
  into.loadFromOptions({
    clusters: from.getClusters(),
    users: from.getUsers(),
    contexts: from.getContexts(),
    currentContext: from.getCurrentContext(),
  });
  return into;
}

export class KeepAliveKubeConfig extends KubeConfig {
  private agent: HttpAgent | undefined;
  private agentServer: string | undefined;

  static from(kc: KubeConfig): KeepAliveKubeConfig {
    return copyKubeConfig(kc, new KeepAliveKubeConfig());
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setHeaderParam('User-Agent', SCARS_USER_AGENT);
    const server = this.getCurrentCluster()?.server;
    const fresh = context.getAgent();
    if (!fresh || (this.agent && this.agentServer === server)) {
      if (this.agent) context.setAgent(this.agent);
      return;
    }
    // https.Agent keeps the options it was built with; reuse them with keep-alive on.
    const options = (fresh as HttpAgent & { options?: AgentOptions }).options ?? {};
    this.agent?.destroy();
    this.agent =
      fresh instanceof HttpsAgent
        ? new HttpsAgent({ ...options, keepAlive: true, maxSockets: MAX_SOCKETS })
        : new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
    this.agentServer = server;
    fresh.destroy();
    context.setAgent(this.agent);
  }

  /** Closes pooled connections (call when done with the cluster). */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
