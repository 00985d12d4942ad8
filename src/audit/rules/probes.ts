/**
 * Probes: a liveness probe that restarts a container after one slow answer turns load into a restart
 * cascade (each restart moves its traffic to the survivors); a liveness probe identical to the
 * readiness probe restarts pods that only needed to be taken out of rotation; a container behind a
 * Service without a readiness probe gets traffic before it can answer.
 */
import type { Probe, Service } from 'kubernetes-types/core/v1.js';
import { defineRule } from '../rule.ts';
import type { RuleHit } from '../types.ts';
import { type ContainerRef, describeObject, type Workload } from '../workloads.ts';

/** Paths conventionally served by a constant-time handler that checks nothing downstream. */
const CHEAP_PATHS = new Set([
  '/healthz',
  '/livez',
  '/health',
  '/ping',
  '/-/healthy',
  '/live',
  '/alive',
  '/liveness',
]);

/** Why a probe's handler may be slow, or undefined when it is obviously cheap. */
function slowHandler(probe: Probe): string | undefined {
  if (probe.tcpSocket || probe.grpc) return undefined;
  if (probe.exec) return 'an exec command';
  if (probe.httpGet) {
    const path = (probe.httpGet.path || '/').split('?')[0]?.replace(/\/+$/, '') || '/';
    if (CHEAP_PATHS.has(path.toLowerCase())) return undefined;
    return `GET ${probe.httpGet.path || '/'}`;
  }
  return undefined;
}

const label = (ref: ContainerRef) =>
  `${ref.sidecar ? 'sidecar' : 'container'} "${ref.container.name ?? '?'}"`;

/** Containers that run for the pod's life and may carry probes: regular ones and sidecars. */
const serving = (w: Workload) => w.containers.filter((c) => !c.init || c.sidecar);

export const livenessFragile = defineRule({
  id: 'liveness-fragile',
  family: 'probes',
  severity: 'error',
  title: 'Liveness probe restarts after one slow response',
  why: 'timeoutSeconds defaults to 1: with failureThreshold 1 a single answer slower than a second (GC pause, load spike, slow dependency) kills the container; its traffic moves to the other replicas, which slow down and get killed too: a restart cascade.',
  fix: 'Raise failureThreshold (3 or more) and timeoutSeconds (e.g. 5), and point liveness at a cheap endpoint (/healthz) that checks nothing downstream.',
  check(index) {
    const hits: RuleHit[] = [];
    for (const w of index.workloads) {
      for (const ref of serving(w)) {
        const probe = ref.container.livenessProbe;
        if (!probe) continue;
        const timeout = probe.timeoutSeconds ?? 1;
        const threshold = probe.failureThreshold ?? 3;
        const slow = slowHandler(probe);
        if (timeout > 1 || threshold > 1 || !slow) continue;
        const field = probe.failureThreshold === undefined ? 'livenessProbe' : 'failureThreshold';
        hits.push({
          manifest: w.manifest,
          field: [...ref.path, 'livenessProbe', ...(field === 'livenessProbe' ? [] : [field])],
          message:
            `${describeObject(w.manifest)}: ${label(ref)} liveness probe (${slow}) has timeoutSeconds ${timeout}` +
            `${probe.timeoutSeconds === undefined ? ' (the default)' : ''} and failureThreshold ${threshold}: one slow answer restarts it`,
        });
      }
    }
    return hits;
  },
});

/** A probe with the API's defaults filled in, for comparing two probes as the kubelet sees them. */
function normalized(p: Probe): Probe {
  return {
    ...p,
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    periodSeconds: p.periodSeconds ?? 10,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
    ...(p.httpGet ? { httpGet: { scheme: 'HTTP', ...p.httpGet, path: p.httpGet.path || '/' } } : {}),
    ...(p.tcpSocket ? { tcpSocket: { ...p.tcpSocket } } : {}),
  };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}

const sameProbe = (a: Probe, b: Probe) =>
  JSON.stringify(canonical(normalized(a))) === JSON.stringify(canonical(normalized(b)));

export const livenessEqualsReadiness = defineRule({
  id: 'liveness-equals-readiness',
  family: 'probes',
  severity: 'warning',
  title: 'Liveness probe is identical to the readiness probe',
  why: 'When the pod is merely overloaded or a dependency is down, readiness fails and should only take it out of rotation; an identical liveness probe fails at the same moment and restarts it, turning a slowdown into an outage.',
  fix: 'Make liveness cheaper and more tolerant than readiness: a /healthz that checks only the process, with a higher failureThreshold; keep dependency checks in readiness.',
  check(index) {
    const hits: RuleHit[] = [];
    for (const w of index.workloads) {
      for (const ref of serving(w)) {
        const { livenessProbe, readinessProbe } = ref.container;
        if (!livenessProbe || !readinessProbe || !sameProbe(livenessProbe, readinessProbe)) continue;
        hits.push({
          manifest: w.manifest,
          field: [...ref.path, 'livenessProbe'],
          message: `${describeObject(w.manifest)}: ${label(ref)} liveness probe is identical to its readiness probe`,
        });
      }
    }
    return hits;
  },
});

/** The containers a Service port reaches: by container port name, or number (targetPort defaults to port). */
function targetContainers(w: Workload, service: Service): ContainerRef[] {
  const out = new Set<ContainerRef>();
  for (const port of service.spec?.ports ?? []) {
    const target = port.targetPort ?? port.port;
    for (const ref of serving(w)) {
      const declared = ref.container.ports ?? [];
      const hit =
        typeof target === 'string' && !/^\d+$/.test(target)
          ? declared.some((p) => p.name === target)
          : declared.some((p) => p.containerPort === Number(target));
      if (hit) out.add(ref);
    }
  }
  return [...out];
}

export const readinessMissing = defineRule({
  id: 'readiness-missing',
  family: 'probes',
  severity: 'warning',
  title: 'Container behind a Service has no readiness probe',
  why: 'Without a readiness probe a pod joins the Service endpoints as soon as its containers start: during every rollout, restart and scale-up, requests reach a process that cannot answer yet and fail.',
  fix: 'Add a readinessProbe on the serving port that answers only once the app can serve (warm caches, connections open).',
  check(index) {
    const hits: RuleHit[] = [];
    for (const w of index.workloads) {
      if (!w.longRunning) continue;
      const services = index
        .servicesSelecting(w)
        .filter(({ service }) => service.spec?.type !== 'ExternalName');
      if (!services.length) continue;
      const names = services.map(({ manifest }) => manifest.object.metadata?.name ?? '?').join(', ');
      let targets = [...new Set(services.flatMap(({ service }) => targetContainers(w, service)))];
      // Ports need not be declared; then any serving container may be the one, and one probe is enough.
      if (!targets.length) {
        const all = serving(w);
        targets = all.some((c) => c.container.readinessProbe) ? [] : all.slice(0, 1);
      }
      for (const ref of targets) {
        if (ref.container.readinessProbe) continue;
        hits.push({
          manifest: w.manifest,
          field: [...ref.path, 'readinessProbe'],
          message: `${describeObject(w.manifest)}: ${label(ref)} serves Service ${names} but has no readinessProbe`,
        });
      }
    }
    return hits;
  },
});
