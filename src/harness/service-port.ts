/**
 * A Service of the run namespace and one of its ports, read through the API: what faults and
 * observers aim traffic at. Errors name who asked (`service-load: …`), the Service and the port.
 */
import type { V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { RunContext } from './scenario.ts';

export async function readServicePort(
  ctx: RunContext,
  who: string,
  name: string,
  port: string | number | undefined,
): Promise<{ service: V1Service; port: V1ServicePort }> {
  const service = await ctx.kube.read<V1Service>({
    apiVersion: 'v1',
    kind: 'Service',
    namespace: ctx.namespace,
    name,
  });
  if (!service) throw new Error(`${who}: Service ${ctx.namespace}/${name} not found`);
  const ports = service.spec?.ports ?? [];
  const found = port === undefined ? ports[0] : ports.find((x) => x.name === port || x.port === port);
  if (!found) throw new Error(`${who}: Service ${name} has no port ${String(port ?? '')}`);
  return { service, port: found };
}
