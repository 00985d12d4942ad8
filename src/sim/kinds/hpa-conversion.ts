/**
 * autoscaling/v1 HorizontalPodAutoscalers are a view of the stored autoscaling/v2 objects
 * (pkg/apis/autoscaling/v1/conversion.go): the CPU utilization target and current value map to a
 * Resource metric named cpu; other metrics travel in the annotations upstream uses for them.
 */
import type { KubeObject } from '../object.ts';
import { isObject } from '../object.ts';

const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (isObject(v) ? v : {});

function isCpuUtilization(metric: unknown, key: 'target' | 'current'): boolean {
  const m = obj(metric);
  const resource = obj(m.resource);
  const value = obj(resource[key]);
  return (
    m.type === 'Resource' && resource.name === 'cpu' && (key === 'current' || value.type === 'Utilization')
  );
}

export function hpaV2ToV1(v2: KubeObject): KubeObject {
  const spec = obj(v2.spec);
  const status = obj(v2.status);
  const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
  const current = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
  const cpu = metrics.find((m) => isCpuUtilization(m, 'target'));
  const cpuNow = current.find((m) => isCpuUtilization(m, 'current'));
  const others = metrics.filter((m) => m !== cpu);
  const otherCurrent = current.filter((m) => m !== cpuNow);
  const annotations: Record<string, string> = { ...v2.metadata.annotations };
  if (others.length > 0) annotations[METRICS_ANNOTATION] = JSON.stringify(others);
  if (otherCurrent.length > 0) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(otherCurrent);
  if (Array.isArray(status.conditions) && status.conditions.length > 0) {
    annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
  }
  const target = obj(obj(obj(cpu).resource).target).averageUtilization;
  const currentCpu = obj(obj(obj(cpuNow).resource).current).averageUtilization;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...v2.metadata, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(typeof target === 'number' ? { targetCPUUtilizationPercentage: target } : {}),
    },
    status: {
      ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
      ...(status.lastScaleTime !== undefined ? { lastScaleTime: status.lastScaleTime } : {}),
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      ...(typeof currentCpu === 'number' ? { currentCPUUtilizationPercentage: currentCpu } : {}),
    },
  };
}

function parsedAnnotation(annotations: Record<string, string>, key: string): unknown[] {
  const text = annotations[key];
  delete annotations[key];
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

export function hpaV1ToV2(v1: KubeObject): KubeObject {
  const spec = obj(v1.spec);
  const status = obj(v1.status);
  const annotations: Record<string, string> = { ...v1.metadata.annotations };
  const others = parsedAnnotation(annotations, METRICS_ANNOTATION);
  const otherCurrent = parsedAnnotation(annotations, CURRENT_METRICS_ANNOTATION);
  const conditions = parsedAnnotation(annotations, CONDITIONS_ANNOTATION);
  const target = spec.targetCPUUtilizationPercentage;
  const current = status.currentCPUUtilizationPercentage;
  const metadata = { ...v1.metadata };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      metrics: [
        ...(typeof target === 'number'
          ? [
              {
                type: 'Resource',
                resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } },
              },
            ]
          : []),
        ...others,
      ],
    },
    ...(v1.status !== undefined
      ? {
          status: {
            ...(status.observedGeneration !== undefined
              ? { observedGeneration: status.observedGeneration }
              : {}),
            ...(status.lastScaleTime !== undefined ? { lastScaleTime: status.lastScaleTime } : {}),
            currentReplicas: status.currentReplicas ?? 0,
            desiredReplicas: status.desiredReplicas ?? 0,
            ...(typeof current === 'number' || otherCurrent.length > 0
              ? {
                  currentMetrics: [
                    ...(typeof current === 'number'
                      ? [
                          {
                            type: 'Resource',
                            resource: { name: 'cpu', current: { averageUtilization: current } },
                          },
                        ]
                      : []),
                    ...otherCurrent,
                  ],
                }
              : {}),
            ...(conditions.length > 0 ? { conditions } : {}),
          },
        }
      : {}),
  };
}
