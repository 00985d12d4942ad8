/**
 * QoS: node-pressure eviction takes BestEffort pods first. When those are the monitoring agents or
 * log shippers, the node goes dark exactly when someone needs to see what is happening on it.
 */
import { defineRule } from '../rule.ts';
import type { RuleHit } from '../types.ts';
import { type AuditIndex, describeObject, type Workload } from '../workloads.ts';
import { effectiveResources } from './resources.ts';

/** Names that mark monitoring, logging and node agents (matched in names, label keys and values, images). */
const CRITICAL_NAMES = [
  'prometheus',
  'node-exporter',
  'alertmanager',
  'kube-state-metrics',
  'fluent-bit',
  'fluentd',
  'fluent',
  'datadog',
  'dd-agent',
  'otel-collector',
  'opentelemetry-collector',
  'grafana-agent',
  'promtail',
  'filebeat',
  'metricbeat',
  'telegraf',
  'newrelic-infrastructure',
  'thanos',
];
const CRITICAL = new RegExp(`(^|[^a-z0-9])(${CRITICAL_NAMES.join('|')})`, 'i');

/**
 * BestEffort as pkg/apis/core/v1/helper/qos computes it: no container (init containers included) has
 * a non-zero cpu or memory request or limit, after defaulting and LimitRange admission.
 */
export function isBestEffort(index: AuditIndex, w: Workload): boolean {
  const pod = w.podSpec.resources;
  if (Object.values({ ...pod?.limits, ...pod?.requests }).length) return false;
  return w.containers.every((ref) => {
    const eff = effectiveResources(index, w, ref);
    return [eff.limits.cpu, eff.limits.memory, eff.requests.cpu, eff.requests.memory].every(
      (v) => v === undefined,
    );
  });
}

/** Why a workload looks critical, or undefined. */
export function criticalReason(w: Workload): string | undefined {
  const pc = w.podSpec.priorityClassName;
  if (typeof pc === 'string' && pc.startsWith('system-')) return `priorityClassName ${pc}`;
  if (CRITICAL.test(w.name)) return `name ${w.name}`;
  const labels = { ...w.manifest.object.metadata?.labels, ...w.labels };
  for (const [k, v] of Object.entries(labels)) {
    if (CRITICAL.test(String(v))) return `label ${k}=${String(v)}`;
    if (CRITICAL.test(k)) return `label ${k}`;
  }
  for (const ref of w.containers) {
    const image = ref.container.image ?? '';
    // The repository name only: a registry host like "quay.io/prometheus/..." still counts by path.
    if (CRITICAL.test(image.replace(/[@:][^/]*$/, ''))) return `image ${image}`;
  }
  return undefined;
}

export const criticalBestEffort = defineRule({
  id: 'critical-besteffort',
  family: 'qos',
  severity: 'error',
  title: 'Monitoring or critical pod is BestEffort',
  why: 'Under node memory pressure the kubelet evicts BestEffort pods first: the metrics, log and node agents disappear from the very node that is in trouble, and the outage goes unseen.',
  fix: 'Give every container of the pod cpu and memory requests (and a memory limit), making it Burstable or Guaranteed; use a priorityClassName for node agents.',
  check(index) {
    const hits: RuleHit[] = [];
    for (const w of index.workloads) {
      const reason = criticalReason(w);
      if (!reason || !isBestEffort(index, w)) continue;
      hits.push({
        manifest: w.manifest,
        field: [...w.podPath, 'containers'],
        message: `${describeObject(w.manifest)}: looks critical (${reason}) but its pods are BestEffort: no container has requests or limits`,
      });
    }
    return hits;
  },
});
