/**
 * Real listening sockets through which clients outside the sim (the test process, k6, curl, the
 * built-in load generator) reach Services: one per ClusterIP Service port on the ClusterIP's
 * loopback mirror, one per NodePort on each node's InternalIP. A frontend that cannot have its
 * address (a privileged port for a non-root user, another sim on this machine holding it, a
 * platform without 127.x aliases) listens on 127.0.0.1 at an ephemeral port instead and keeps
 * the mapping. What a connection does once accepted is the caller's (`onConnection`).
 *
 * Closing a frontend stops it accepting; connections already carried stay up until either side
 * closes them, as established connections outlive a Service's rules through conntrack.
 * `closeAll` ends everything.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { HostAddress } from '../part.ts';

export type FrontendKind = 'cluster-ip' | 'node-port';

export interface FrontendSpec {
  /** Unique per frontend; the same key is the same frontend. */
  key: string;
  kind: FrontendKind;
  namespace: string;
  service: string;
  portName: string;
  /** What it stands for inside the sim: ClusterIP and port, or node InternalIP and nodePort. */
  target: { ip: string; port: number };
  /** The node, for NodePort frontends. */
  node?: string;
  /** Where it wants to listen; undefined: straight to the fallback. */
  wanted: HostAddress | undefined;
}

export interface FrontendState extends FrontendSpec {
  /** Where it listens, once bound. */
  address: HostAddress | undefined;
  /** Why it is not on the wanted address (the bind error's code), when it fell back. */
  fallbackReason: string | undefined;
}

interface Entry {
  state: FrontendState;
  server: Server | undefined;
  bound: Promise<void>;
  closed: boolean;
}

const FALLBACK_HOST = '127.0.0.1';

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

const errorCode = (err: unknown): string =>
  (err as NodeJS.ErrnoException | undefined)?.code ?? (err instanceof Error ? err.message : String(err));

export class HostFrontends {
  private readonly entries = new Map<string, Entry>();
  private readonly sockets = new Set<Socket>();
  /** Addresses being released by closed frontends: a new frontend for the same address waits. */
  private readonly releasing = new Map<string, Promise<void>>();
  private closedAll = false;

  constructor(private readonly onConnection: (state: FrontendState, client: Socket) => void) {}

  /** Starts a frontend (no-op when one with this key exists); resolves once it listens somewhere. */
  open(spec: FrontendSpec): Promise<void> {
    const existing = this.entries.get(spec.key);
    if (existing) return existing.bound;
    const entry: Entry = {
      state: { ...spec, address: undefined, fallbackReason: undefined },
      server: undefined,
      bound: Promise.resolve(),
      closed: this.closedAll,
    };
    if (entry.closed) return entry.bound;
    this.entries.set(spec.key, entry);
    entry.bound = this.bind(entry);
    return entry.bound;
  }

  private async bind(entry: Entry): Promise<void> {
    const { wanted } = entry.state;
    if (wanted) await this.releasing.get(`${wanted.host}:${wanted.port}`);
    const attempt = async (host: string, port: number): Promise<Server | undefined> => {
      if (entry.closed) return undefined;
      const server = this.newServer(entry);
      try {
        await listen(server, host, port);
      } catch (err) {
        server.close();
        throw err;
      }
      return server;
    };
    let server: Server | undefined;
    try {
      if (wanted) {
        try {
          server = await attempt(wanted.host, wanted.port);
        } catch (err) {
          entry.state.fallbackReason = errorCode(err);
        }
      } else {
        entry.state.fallbackReason = 'no loopback mirror';
      }
      server ??= await attempt(FALLBACK_HOST, 0);
    } catch (err) {
      // Even 127.0.0.1 with an ephemeral port failed: the frontend has no address.
      entry.state.fallbackReason = `${entry.state.fallbackReason ?? ''}; fallback: ${errorCode(err)}`;
      return;
    }
    if (!server) return;
    if (entry.closed) {
      server.close();
      return;
    }
    entry.server = server;
    const at = server.address();
    if (at && typeof at === 'object') entry.state.address = { host: at.address, port: at.port };
  }

  private newServer(entry: Entry): Server {
    const server = createServer({ allowHalfOpen: true }, (client) => {
      if (this.closedAll) {
        client.destroy();
        return;
      }
      this.sockets.add(client);
      client.once('close', () => this.sockets.delete(client));
      this.onConnection(entry.state, client);
    });
    // Errors after listening (none expected on a listening socket) must not crash the sim.
    server.on('error', () => undefined);
    return server;
  }

  /** A socket opened on behalf of a carried connection, destroyed by `closeAll`. */
  track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Stops a frontend accepting (its connections stay); resolves once its address is released. */
  close(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return Promise.resolve();
    this.entries.delete(key);
    entry.closed = true;
    const released = entry.bound.then(() => this.release(entry));
    const wanted = entry.state.wanted;
    if (wanted) {
      const at = `${wanted.host}:${wanted.port}`;
      const tracked = released.finally(() => {
        if (this.releasing.get(at) === tracked) this.releasing.delete(at);
      });
      this.releasing.set(at, tracked);
    }
    return released;
  }

  private release(entry: Entry): Promise<void> {
    const server = entry.server;
    entry.server = undefined;
    if (!server) return Promise.resolve();
    // close() releases the listening handle at once but calls back only after the last
    // connection; the address is free after the handle's close, a loop turn later.
    server.close();
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Closes every frontend and destroys every connection. */
  async closeAll(): Promise<void> {
    this.closedAll = true;
    const keys = [...this.entries.keys()];
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await Promise.all(keys.map((k) => this.close(k)));
  }

  get(key: string): FrontendState | undefined {
    return this.entries.get(key)?.state;
  }

  /** Resolves once the frontend has tried to bind (whether or not it got an address). */
  bound(key: string): Promise<void> {
    return this.entries.get(key)?.bound ?? Promise.resolve();
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  list(): FrontendState[] {
    return [...this.entries.values()].map((e) => e.state);
  }

  /** Connections being carried now. */
  get openSockets(): number {
    return this.sockets.size;
  }
}
