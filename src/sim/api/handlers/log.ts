/**
 * GET pods/{name}/log: container selection and error texts as the apiserver's LogREST and the
 * kubelet give them; follow, previous, tailLines, sinceSeconds/sinceTime, timestamps, limitBytes.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../object.ts';
import type { LogLine } from '../../kubelet/pod-logs.ts';
import { boolParam, intParam } from '../http.ts';
import { badRequest } from '../rest/status.ts';
import type { ResourceCall } from './context.ts';

function pickContainer(pod: Pod & KubeObject, requested: string | null): string {
  const name = pod.metadata.name ?? '';
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0] as string;
    let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (init.length > 0) message += ` or one of the init containers: [${init.join(' ')}]`;
    throw badRequest(message);
  }
  if (![...containers, ...init].includes(requested))
    throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

function format(line: LogLine, timestamps: boolean): string {
  if (!timestamps) return `${line.text}\n`;
  // RFC 3339 with nanoseconds, as the kubelet's timestamps=true prints them.
  return `${new Date(line.time).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z')} ${line.text}\n`;
}

export function podLog(call: ResourceCall): void {
  const { registry, logs, clock } = call.ctx;
  const pod = registry.get(call.resource, call.info.namespace, call.info.name ?? '') as Pod & KubeObject;
  const container = pickContainer(pod, call.query.get('container'));
  const podName = pod.metadata.name ?? '';
  const previous = boolParam(call.query, 'previous');
  const follow = boolParam(call.query, 'follow') && !previous;
  const timestamps = boolParam(call.query, 'timestamps');
  const uid = pod.metadata.uid ?? '';
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const status = statuses.find((s) => s.name === container);
  if (!pod.spec?.nodeName || !status || (status.state?.waiting && !status.lastState?.terminated)) {
    const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
    throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  }
  const lines = logs.read(uid, container, previous);
  if (!lines) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);

  let selected = [...lines];
  const sinceSeconds = intParam(call.query, 'sinceSeconds');
  const sinceTime = call.query.get('sinceTime');
  const since =
    sinceSeconds !== undefined
      ? clock.now() - sinceSeconds * 1000
      : sinceTime
        ? Date.parse(sinceTime)
        : undefined;
  if (since !== undefined) selected = selected.filter((l) => l.time >= since);
  const tail = intParam(call.query, 'tailLines');
  if (tail !== undefined && tail >= 0) selected = selected.slice(Math.max(0, selected.length - tail));
  let budget = intParam(call.query, 'limitBytes') ?? Infinity;

  const res = call.res;
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  const emit = (line: LogLine): boolean => {
    let text = format(line, timestamps);
    if (text.length > budget) text = text.slice(0, budget);
    budget -= text.length;
    if (text) res.write(text);
    return budget > 0;
  };
  for (const line of selected) if (!emit(line)) return void res.end();
  const running = status.state?.running !== undefined;
  if (!follow || !running || logs.isEnded(uid, container)) return void res.end();
  res.flushHeaders();
  const stop = logs.follow(uid, container, (line) => {
    if (Number.isNaN(line.time) || !emit(line)) {
      stop();
      res.end();
    }
  });
  res.on('close', stop);
}
