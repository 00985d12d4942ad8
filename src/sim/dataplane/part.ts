/**
 * A part of the sim's data plane (kube-proxy, cluster DNS, NodeLocal DNSCache, NetworkPolicy, the
 * fake metadata service, the Ingress controller). Like a controller it starts and stops with the
 * cluster; parts that open real sockets do it asynchronously, so the cluster awaits `ready()`
 * before handing out a kubeconfig and `close()` before `stop()` resolves.
 */
import type { Controller } from '../controllers/controller.ts';

export interface DataPlanePart extends Controller {
  /** Resolves once the part's real sockets are open (if it has any). */
  ready(): Promise<void>;
  /** Closes the part's real sockets; resolves when they are gone. */
  close(): Promise<void>;
}

/** A real address on this machine where a sim-side service can be reached from outside the sim. */
export interface HostAddress {
  host: string;
  port: number;
}
