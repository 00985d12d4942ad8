/**
 * The shapes of the fields the rules read, checked before any rule runs: a manifest the API server
 * would reject for a wrong type (`containers: web`, `env: {A: b}`) is bad input, reported as
 * `file:line: field: expected ...`, not a crash inside a rule. Everything else passes through.
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { parseQuantity } from '../kube/quantity.ts';
import { formatField, locate } from './load.ts';
import type { Manifest } from './types.ts';

const str = z.string();
const num = z.number();
const intOrString = z.union([num, str]);
/** Labels and selectors: string values only (`version: 1.0` or `enabled: yes` is not a string; the API rejects it). */
const stringMap = z.record(z.string(), str);
const quantityValue = z
  .union([str, num])
  .refine(
    (v) => parseQuantity(String(v)) !== undefined,
    'not a Kubernetes quantity (e.g. 512Mi, 1Gi, 250m, 0.5)',
  );
const quantityMap = z.record(z.string(), quantityValue);
const resources = z.looseObject({ limits: quantityMap.optional(), requests: quantityMap.optional() });
const selector = z.looseObject({
  matchLabels: z.record(z.string(), str).optional(),
  matchExpressions: z
    .array(z.looseObject({ key: str, operator: str, values: z.array(str).optional() }))
    .optional(),
});
const probe = z.looseObject({
  httpGet: z.looseObject({ path: str.optional(), port: intOrString.optional() }).optional(),
  exec: z.looseObject({ command: z.array(str).optional() }).optional(),
  timeoutSeconds: num.optional(),
  failureThreshold: num.optional(),
  periodSeconds: num.optional(),
});
const container = z.looseObject({
  name: str.optional(),
  image: str.optional(),
  command: z.array(z.unknown()).optional(),
  args: z.array(z.unknown()).optional(),
  env: z.array(z.looseObject({ name: str.optional(), value: z.unknown().optional() })).optional(),
  ports: z.array(z.looseObject({ containerPort: num.optional(), name: str.optional() })).optional(),
  resources: resources.optional(),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
  restartPolicy: str.optional(),
});
const podSpec = z.looseObject({
  containers: z.array(container).optional(),
  initContainers: z.array(container).optional(),
  resources: resources.optional(),
  priorityClassName: str.optional(),
  hostNetwork: z.boolean().optional(),
  dnsPolicy: str.optional(),
  dnsConfig: z
    .looseObject({ options: z.array(z.looseObject({ name: str, value: str.optional() })).optional() })
    .optional(),
});
const template = z.looseObject({
  metadata: z.looseObject({ labels: stringMap.optional() }).optional(),
  spec: podSpec.optional(),
});
const templated = z.looseObject({
  spec: z
    .looseObject({ replicas: num.optional(), selector: selector.optional(), template: template.optional() })
    .optional(),
});

const ipBlock = z.looseObject({ cidr: str, except: z.array(str).optional() });
const policyPort = z.looseObject({
  protocol: str.optional(),
  port: intOrString.optional(),
  endPort: num.optional(),
});

const SCHEMAS: Record<string, z.ZodType> = {
  Deployment: templated,
  StatefulSet: templated,
  DaemonSet: templated,
  ReplicaSet: templated,
  Job: templated,
  CronJob: z.looseObject({
    spec: z
      .looseObject({
        jobTemplate: z
          .looseObject({ spec: z.looseObject({ template: template.optional() }).optional() })
          .optional(),
      })
      .optional(),
  }),
  Pod: z.looseObject({
    metadata: z.looseObject({ labels: stringMap.optional() }).optional(),
    spec: podSpec.optional(),
  }),
  Service: z.looseObject({
    spec: z
      .looseObject({
        type: str.optional(),
        selector: stringMap.optional(),
        ports: z
          .array(z.looseObject({ port: num.optional(), targetPort: intOrString.optional() }))
          .optional(),
      })
      .optional(),
  }),
  PodDisruptionBudget: z.looseObject({
    spec: z
      .looseObject({
        selector: selector.nullable().optional(),
        minAvailable: intOrString.optional(),
        maxUnavailable: intOrString.optional(),
      })
      .optional(),
  }),
  NetworkPolicy: z.looseObject({
    spec: z
      .looseObject({
        podSelector: selector.optional(),
        policyTypes: z.array(str).optional(),
        egress: z
          .array(
            z.looseObject({
              to: z.array(z.looseObject({ ipBlock: ipBlock.optional() })).optional(),
              ports: z.array(policyPort).optional(),
            }),
          )
          .optional(),
      })
      .optional(),
  }),
  Secret: z.looseObject({
    type: str.optional(),
    data: z.record(z.string(), z.union([str, z.null()])).optional(),
    stringData: z.record(z.string(), z.union([str, z.null()])).optional(),
  }),
  Ingress: z.looseObject({
    spec: z
      .looseObject({ tls: z.array(z.looseObject({ secretName: str.optional() })).optional() })
      .optional(),
  }),
  LimitRange: z.looseObject({
    spec: z
      .looseObject({
        limits: z
          .array(
            z.looseObject({
              type: str.optional(),
              default: quantityMap.optional(),
              defaultRequest: quantityMap.optional(),
              max: quantityMap.optional(),
              min: quantityMap.optional(),
            }),
          )
          .optional(),
      })
      .optional(),
  }),
  HorizontalPodAutoscaler: z.looseObject({
    spec: z
      .looseObject({
        scaleTargetRef: z.looseObject({ kind: str.optional(), name: str.optional() }).optional(),
        minReplicas: num.optional(),
      })
      .optional(),
  }),
};

const metadata = z.looseObject({
  metadata: z
    .looseObject({
      name: str.optional(),
      namespace: str.optional(),
      labels: stringMap.optional(),
    })
    .optional(),
});

const typeName = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;

/** Throws InputError for the first field of a known kind whose type the rules cannot read. */
export function checkShape(manifest: Manifest): void {
  const kind = manifest.object.kind;
  for (const schema of [metadata, SCHEMAS[kind]]) {
    if (!schema) continue;
    const parsed = schema.safeParse(manifest.object);
    if (parsed.success) continue;
    const issue = parsed.error.issues[0];
    if (!issue) continue;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    let value: unknown = manifest.object;
    for (const p of path) value = (value as Record<string | number, unknown> | undefined)?.[p];
    const expected =
      issue.code === 'invalid_type'
        ? `expected ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, found ${typeName(value)}`
        : issue.message;
    throw new InputError({
      file: manifest.source.display,
      line: locate(manifest, path).line,
      field: `${kind}${path.length ? ` ${formatField(path)}` : ''}`,
      expected,
    });
  }
}
