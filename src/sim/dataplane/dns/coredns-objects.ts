/**
 * The CoreDNS addon as kubeadm 1.32 installs it (cmd/kubeadm/app/phases/addons/dns/manifests.go),
 * and kind with it: ServiceAccount and ConfigMap `coredns`, Deployment `coredns` (2 replicas,
 * registry.k8s.io/coredns/coredns:v1.11.3) and Service `kube-dns` at 10.96.0.10, all in
 * kube-system. ClusterRole/Binding are left out: the sim has no RBAC.
 *
 * One change from kubeadm: the pods get `nodeSelector: node-role.kubernetes.io/control-plane: ""`
 * (when the topology has a control-plane node), so the addon never takes capacity from the
 * workers that scenarios size their workloads against. On kind they usually land on the control
 * plane too: CoreDNS tolerates its taint and starts before the workers join.
 */
import type { ConfigMap, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Registry } from '../../api/rest/registry.ts';
import { resourceAt, type ResourceType } from '../../kinds/registry.ts';
import { DEPLOYMENTS, SERVICE_ACCOUNTS, SERVICES } from '../../kinds/resources.ts';
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN } from '../../kubelet/resolv-conf.ts';

export const COREDNS_NAMESPACE = 'kube-system';
export const COREDNS_NAME = 'coredns';
export const KUBE_DNS_SERVICE = 'kube-dns';
export const KUBE_DNS_LABEL = { 'k8s-app': 'kube-dns' } as const;
export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.11.3';
export const COREDNS_REPLICAS = 2;
export const KUBE_DNS_IP = CLUSTER_DNS_IP;
export const DNS_PORT = 53;
export const METRICS_PORT = 9153;
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

const CONFIG_MAPS = ((): ResourceType => {
  const r = resourceAt('v1', 'configmaps');
  if (!r) throw new Error('sim: v1/configmaps is not in the kind table');
  return r;
})();

export interface CorefileSettings {
  domain: string;
  /** `cache <n>`. */
  cacheTtlCapSeconds: number;
  /** Whether the cluster domain is cached too (kubeadm < 1.32); kubeadm ≥ 1.32 disables it. */
  cacheClusterDomain: boolean;
}

/** The Corefile kubeadm writes (the sim reads its settings from ClusterDns's options, not from here). */
export function corefile(s: CorefileSettings): string {
  const cache = s.cacheClusterDomain
    ? `    cache ${s.cacheTtlCapSeconds}\n`
    : `    cache ${s.cacheTtlCapSeconds} {\n       disable success ${s.domain}\n       disable denial ${s.domain}\n    }\n`;
  return (
    '.:53 {\n' +
    '    errors\n' +
    '    health {\n       lameduck 5s\n    }\n' +
    '    ready\n' +
    `    kubernetes ${s.domain} in-addr.arpa ip6.arpa {\n` +
    '       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n' +
    '    prometheus :9153\n' +
    '    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n' +
    cache +
    '    loop\n    reload\n    loadbalance\n}\n'
  );
}

function deployment(controlPlane: boolean): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: COREDNS_NAME, namespace: COREDNS_NAMESPACE, labels: { ...KUBE_DNS_LABEL } },
    spec: {
      replicas: COREDNS_REPLICAS,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: { ...KUBE_DNS_LABEL } },
      template: {
        metadata: { labels: { ...KUBE_DNS_LABEL } },
        spec: {
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: COREDNS_NAME,
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: {
                      matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }],
                    },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: CONTROL_PLANE_LABEL, effect: 'NoSchedule' },
          ],
          nodeSelector: {
            'kubernetes.io/os': 'linux',
            ...(controlPlane ? { [CONTROL_PLANE_LABEL]: '' } : {}),
          },
          containers: [
            {
              name: 'coredns',
              image: COREDNS_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
              args: ['-conf', '/etc/coredns/Corefile'],
              volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
              ports: [
                { containerPort: DNS_PORT, name: 'dns', protocol: 'UDP' },
                { containerPort: DNS_PORT, name: 'dns-tcp', protocol: 'TCP' },
                { containerPort: METRICS_PORT, name: 'metrics', protocol: 'TCP' },
                { containerPort: 8080, name: 'liveness-probe', protocol: 'TCP' },
                { containerPort: 8181, name: 'readiness-probe', protocol: 'TCP' },
              ],
              livenessProbe: {
                httpGet: { path: '/health', port: 'liveness-probe', scheme: 'HTTP' },
                initialDelaySeconds: 60,
                timeoutSeconds: 5,
                successThreshold: 1,
                failureThreshold: 5,
              },
              readinessProbe: { httpGet: { path: '/ready', port: 'readiness-probe', scheme: 'HTTP' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                readOnlyRootFilesystem: true,
              },
            },
          ],
          dnsPolicy: 'Default',
          volumes: [
            {
              name: 'config-volume',
              configMap: { name: COREDNS_NAME, items: [{ key: 'Corefile', path: 'Corefile' }] },
            },
          ],
        },
      },
    },
  };
}

function service(): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBE_DNS_SERVICE,
      namespace: COREDNS_NAMESPACE,
      labels: { ...KUBE_DNS_LABEL, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      clusterIP: KUBE_DNS_IP,
      ports: [
        { name: 'dns', port: DNS_PORT, protocol: 'UDP', targetPort: DNS_PORT },
        { name: 'dns-tcp', port: DNS_PORT, protocol: 'TCP', targetPort: DNS_PORT },
        { name: 'metrics', port: METRICS_PORT, protocol: 'TCP', targetPort: METRICS_PORT },
      ],
      selector: { ...KUBE_DNS_LABEL },
    },
  };
}

/**
 * Creates what is missing of the addon, as `kubeadm init` does (an object that already exists —
 * a restored store, a user's own — is left alone).
 */
export function installCoreDns(
  registry: Registry,
  options: { controlPlane: boolean; corefile: CorefileSettings },
): void {
  const manager = { manager: 'kubeadm' };
  const ensure = (r: ResourceType, name: string, body: unknown) => {
    if (!registry.find(r, COREDNS_NAMESPACE, name)) registry.create(r, COREDNS_NAMESPACE, body, manager);
  };
  const sa: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: COREDNS_NAME, namespace: COREDNS_NAMESPACE },
  };
  const cm: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: COREDNS_NAME, namespace: COREDNS_NAMESPACE },
    data: { Corefile: corefile(options.corefile) },
  };
  ensure(SERVICE_ACCOUNTS, COREDNS_NAME, sa);
  ensure(CONFIG_MAPS, COREDNS_NAME, cm);
  ensure(DEPLOYMENTS, COREDNS_NAME, deployment(options.controlPlane));
  ensure(SERVICES, KUBE_DNS_SERVICE, service());
}

export const DEFAULT_DOMAIN = CLUSTER_DOMAIN;
