/** Nodes: printNode in pkg/printers/internalversion/printers.go. */
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { AGE, NAME, column, printer, wide } from './columns.ts';
import { DOC } from './descriptions.ts';
import { since } from './duration.ts';

const COLUMNS = [
  NAME,
  column('Status', 'string', 'The status of the node'),
  column('Roles', 'string', 'The roles of the node'),
  AGE,
  column('Version', 'string', DOC['NodeSystemInfo.kubeletVersion']),
  wide('Internal-IP', 'string', DOC['NodeStatus.addresses']),
  wide('External-IP', 'string', DOC['NodeStatus.addresses']),
  wide('OS-Image', 'string', DOC['NodeSystemInfo.osImage']),
  wide('Kernel-Version', 'string', DOC['NodeSystemInfo.kernelVersion']),
  wide('Container-Runtime', 'string', DOC['NodeSystemInfo.containerRuntimeVersion']),
];

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and the legacy `kubernetes.io/role=<role>`. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith(ROLE_PREFIX)) {
      const role = key.slice(ROLE_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (key === ROLE_LABEL && value !== '') {
      roles.add(value);
    }
  }
  return [...roles].sort();
}

function nodeStatus(node: Node): string {
  // Upstream reads conditions into a map, so a repeated type's last entry wins; only Ready is shown.
  let ready: NodeCondition | undefined;
  for (const c of node.status?.conditions ?? []) if (c.type === 'Ready') ready = c;
  const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

const address = (node: Node, type: string): string =>
  (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';

function nodeCells(node: Node, now: number): unknown[] {
  const info = node.status?.nodeInfo;
  const roles = nodeRoles(node.metadata?.labels).join(',');
  return [
    node.metadata?.name ?? '',
    nodeStatus(node),
    roles === '' ? '<none>' : roles,
    since(node.metadata?.creationTimestamp, now),
    info?.kubeletVersion ?? '',
    address(node, 'InternalIP'),
    address(node, 'ExternalIP'),
    info?.osImage || '<unknown>',
    info?.kernelVersion || '<unknown>',
    info?.containerRuntimeVersion || '<unknown>',
  ];
}

export const nodes = printer(COLUMNS, nodeCells);
