/**
 * The controller's two real listeners. In kind, ingress-nginx runs on the control-plane node with
 * hostPorts 80 and 443; here they are bound on that node's InternalIP (a loopback address), ports
 * 80 and 443, when this process may (root, or a lowered ip_unprivileged_port_start) and no other
 * sim on the machine holds them. Otherwise both go to 127.0.0.1 on ephemeral ports — together, so
 * the Ingress status names one address.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { HostAddress } from '../part.ts';

export interface BoundListeners {
  http: HostAddress;
  https: HostAddress;
  /** Why the node address could not be used (undefined when it was). */
  fallbackReason: string | undefined;
}

function listen(server: HttpServer | HttpsServer, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

function closeQuietly(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Binds both servers on `nodeIP` ports 80/443, else both on 127.0.0.1 with ephemeral ports. */
export async function bindListeners(
  http: HttpServer,
  https: HttpsServer,
  nodeIP: string | undefined,
  ports: { http: number; https: number } = { http: 80, https: 443 },
): Promise<BoundListeners> {
  let reason = 'the cluster has no node address';
  if (nodeIP) {
    try {
      const httpPort = await listen(http, nodeIP, ports.http);
      try {
        const httpsPort = await listen(https, nodeIP, ports.https);
        return {
          http: { host: nodeIP, port: httpPort },
          https: { host: nodeIP, port: httpsPort },
          fallbackReason: undefined,
        };
      } catch (err) {
        await closeQuietly(http);
        throw err;
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      reason = `${e.code ?? 'error'}: ${e.message}`;
    }
  }
  const httpPort = await listen(http, '127.0.0.1', 0);
  const httpsPort = await listen(https, '127.0.0.1', 0);
  return {
    http: { host: '127.0.0.1', port: httpPort },
    https: { host: '127.0.0.1', port: httpsPort },
    fallbackReason: reason,
  };
}

export { closeQuietly };
