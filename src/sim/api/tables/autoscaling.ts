/**
 * autoscaling/v2 HorizontalPodAutoscalers: printHorizontalPodAutoscaler and formatHPAMetrics in
 * pkg/printers/internalversion/printers.go.
 */
import type {
  HorizontalPodAutoscaler,
  MetricSpec,
  MetricStatus,
  MetricTarget,
  MetricValueStatus,
} from 'kubernetes-types/autoscaling/v2.js';
import { AGE, NAME, column, printer } from './columns.ts';
import { DOC } from './descriptions.ts';
import { since } from './duration.ts';
import { quantity } from './quantity.ts';

/** *resource.Quantity String(): nil prints "<nil>". */
const q = (value: unknown): string => quantity(value, '<nil>');
const percent = (value: number | undefined): string | undefined =>
  value === undefined || value === null ? undefined : `${value}%`;

/** "current/target", "(avg)" marking average-value targets of object and external metrics. */
function valueMetric(
  target: MetricTarget | undefined,
  current: MetricValueStatus | undefined,
  has: boolean,
): string {
  if (target?.averageValue !== undefined) {
    const now = has && current?.averageValue !== undefined ? q(current.averageValue) : '<unknown>';
    return `${now}/${q(target.averageValue)} (avg)`;
  }
  return `${has ? q(current?.value) : '<unknown>'}/${q(target?.value)}`;
}

/** "name: current/target" for resource and container-resource metrics. */
function resourceMetric(
  name: string,
  target: MetricTarget | undefined,
  current: MetricValueStatus | undefined,
  has: boolean,
): string {
  if (target?.averageValue !== undefined) {
    return `${name}: ${has ? q(current?.averageValue) : '<unknown>'}/${q(target.averageValue)}`;
  }
  const now = (has ? percent(current?.averageUtilization) : undefined) ?? '<unknown>';
  return `${name}: ${now}/${percent(target?.averageUtilization) ?? '<auto>'}`;
}

function metric(spec: MetricSpec, status: MetricStatus | undefined): string {
  switch (spec.type) {
    case 'External':
      return valueMetric(spec.external?.target, status?.external?.current, status?.external !== undefined);
    case 'Pods': {
      const now = status?.pods !== undefined ? q(status.pods.current?.averageValue) : '<unknown>';
      return `${now}/${q(spec.pods?.target?.averageValue)}`;
    }
    case 'Object':
      return valueMetric(spec.object?.target, status?.object?.current, status?.object !== undefined);
    case 'Resource':
      return resourceMetric(
        spec.resource?.name ?? '',
        spec.resource?.target,
        status?.resource?.current,
        status?.resource !== undefined,
      );
    case 'ContainerResource':
      return resourceMetric(
        spec.containerResource?.name ?? '',
        spec.containerResource?.target,
        status?.containerResource?.current,
        status?.containerResource !== undefined,
      );
    default:
      return '<unknown type>';
  }
}

/** formatHPAMetrics: the first two targets, statuses matched by index. */
export function formatHPAMetrics(
  specs: MetricSpec[] | undefined,
  statuses: MetricStatus[] | undefined,
): string {
  const list = specs ?? [];
  if (list.length === 0) return '<none>';
  const shown = list.slice(0, 2).map((spec, i) => metric(spec, statuses?.[i]));
  const text = shown.join(', ');
  return list.length > 2 ? `${text} + ${list.length - 2} more...` : text;
}

export const horizontalPodAutoscalers = printer<HorizontalPodAutoscaler>(
  [
    NAME,
    column('Reference', 'string', DOC['HorizontalPodAutoscalerSpec.scaleTargetRef']),
    column('Targets', 'string', DOC['HorizontalPodAutoscalerSpec.metrics']),
    column('MinPods', 'string', DOC['HorizontalPodAutoscalerSpec.minReplicas']),
    column('MaxPods', 'string', DOC['HorizontalPodAutoscalerSpec.maxReplicas']),
    column('Replicas', 'string', DOC['HorizontalPodAutoscalerStatus.currentReplicas']),
    AGE,
  ],
  (obj, now) => {
    const spec = obj.spec;
    return [
      obj.metadata?.name ?? '',
      `${spec?.scaleTargetRef?.kind ?? ''}/${spec?.scaleTargetRef?.name ?? ''}`,
      formatHPAMetrics(spec?.metrics, obj.status?.currentMetrics),
      // SetDefaults_HorizontalPodAutoscaler sets minReplicas to 1, so "<unset>" only shows if stored nil.
      `${spec?.minReplicas ?? 1}`,
      spec?.maxReplicas ?? 0,
      obj.status?.currentReplicas ?? 0,
      since(obj.metadata?.creationTimestamp, now),
    ];
  },
);
