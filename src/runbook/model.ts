/**
 * A game-day runbook built from a scenario alone: what the team believes, what may break, what
 * to have ready, each step with what scars does and the kubectl a person would type instead,
 * when to stop, how to roll back, what to watch, and who signs off. Rendered as Markdown or HTML
 * (`scars runbook`); nothing here contacts a cluster.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { DEFAULT_HOLD, DEFAULT_SETTLE } from '../harness/defaults.ts';
import { parseDuration } from '../harness/duration.ts';
import { formatRef, refOf } from '../harness/kube-ref.ts';
import { MANAGED_BY_LABEL, RUN_LABEL } from '../harness/journalled-kube.ts';
import { type BuildContext, faultsOf, hasControl } from '../harness/scenario.ts';
import type { LoadedScenario } from '../harness/scenario-loader.ts';
import { buildArmObjects, isClusterScoped } from '../harness/workloads.ts';

/** The run namespace as the runbook's commands name it: `scars run --step` prints its value. */
export const NAMESPACE_VAR = '$NS';

export interface RunbookStep {
  title: string;
  /** What scars does in this step. */
  scars: string[];
  /** The same by hand; comments start with `#`. */
  kubectl: string[];
  /** `scars run --step` stops here and waits for Enter (or `a` to abort). */
  pause?: boolean;
}

export interface Runbook {
  name: string;
  file: string;
  description: string;
  tags: string[];
  hypothesis: string;
  blastRadius: string;
  expected: string;
  mitigation: string;
  /** What the control arm leaves out, when the scenario has one. */
  control: string | null;
  prerequisites: string[];
  steps: RunbookStep[];
  watch: string[];
  abort: string[];
  rollback: string[];
  signOff: string[];
  /** The main arm's objects as YAML, for `kubectl apply -n "$NS" -f`. */
  manifests: string;
  agentImage: string;
}

const SIGN_OFF = ['Facilitator', 'Service owner', 'On-call engineer', 'Observer / scribe'];

export function buildRunbook(loaded: LoadedScenario, agentImage: string): Runbook {
  const s = loaded.scenario;
  const ctx: BuildContext = { runId: 'runbook', namespace: NAMESPACE_VAR, arm: 'main', agentImage };
  const faults = faultsOf(s);
  const objects = buildArmObjects(s, ctx);
  const inRunNamespace = objects.filter((o) => o.metadata?.namespace === NAMESPACE_VAR);
  const elsewhere = objects.filter((o) => o.metadata?.namespace !== NAMESPACE_VAR);
  const kubectlOf = faults.map((f) => ({ fault: f, commands: f.kubectl?.(ctx) }));
  const hold = String(s.hold ?? DEFAULT_HOLD);
  const settle = String(s.settle ?? DEFAULT_SETTLE);
  const ns = `"${NAMESPACE_VAR}"`;

  const steps: RunbookStep[] = [
    {
      title: 'Preflight',
      scars: [
        'Checks what each fault and observer needs (the agent image on the nodes, addons, the load tool) before anything is created.',
      ],
      kubectl: [
        'kubectl cluster-info',
        'kubectl get nodes -o wide',
        `kubectl auth can-i create pods/eviction -n ${ns}`,
      ],
    },
    {
      title: 'Create the run namespace',
      scars: ['Creates a namespace labelled with the run id; everything the run creates carries the label.'],
      kubectl: [
        `export NS=<namespace printed by scars run --step>`,
        `kubectl create namespace ${ns}`,
        `kubectl label namespace ${ns} ${MANAGED_BY_LABEL}=scars   # scars also labels it ${RUN_LABEL}=<its run id>`,
      ],
    },
    {
      title: 'Deploy the workload with its mitigation',
      scars: objects.map((o) => `create ${formatRef(refOf(o))}`),
      kubectl: [
        `kubectl apply -n ${ns} -f manifests.yaml   # the appendix`,
        ...elsewhere.map(
          (o) => `# ${formatRef(refOf(o))} goes outside the run namespace (declared by the scenario)`,
        ),
      ],
    },
    {
      title: 'Wait until ready',
      scars: ['Waits for every Deployment, DaemonSet and Pod it created to be Ready.'],
      kubectl: [
        ...inRunNamespace
          .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet' || o.kind === 'StatefulSet')
          .map(
            (o) =>
              `kubectl rollout status ${o.kind!.toLowerCase()}/${o.metadata?.name} -n ${ns} --timeout=5m`,
          ),
        ...(inRunNamespace.some((o) => o.kind === 'Pod')
          ? [`kubectl wait pod --all -n ${ns} --for=condition=Ready --timeout=5m`]
          : []),
      ],
    },
    {
      title: 'Check the steady state',
      scars: (s.steadyState ?? [])
        .map((c) => c.name)
        .concat(s.steadyState?.length ? [] : ['(no checks declared)']),
      kubectl: [`kubectl get pods -n ${ns} -o wide`],
    },
    {
      title: 'Start observing',
      scars: (s.observers ?? []).map((o) => `${o.name}: ${o.describe(ctx)}`),
      kubectl: s.runbook?.watch?.length ? ['# open the watches listed under "What to watch"'] : [],
    },
    {
      title: 'Inject the fault',
      pause: true,
      scars: faults.map((f) => `${f.name}: ${f.describe(ctx)}`),
      kubectl: kubectlOf.flatMap(({ fault, commands }) =>
        commands ? commands.inject : [`# ${fault.name}: no kubectl equivalent; run it with scars run --step`],
      ),
    },
    {
      title: `Hold for ${hold}`,
      scars: [
        'Keeps the fault in place, records what the observers see, then gathers evidence that the fault bit.',
      ],
      kubectl: [`sleep ${Math.ceil(parseDuration(hold) / 1000)}`],
    },
    {
      title: 'Revert the fault',
      pause: true,
      scars: [
        'Replays the journal of everything the fault changed, newest first, then waits out what the cluster keeps by itself.',
      ],
      kubectl: kubectlOf.flatMap(({ commands }) => commands?.revert ?? []),
    },
    {
      title: `Settle for ${settle}, then judge`,
      scars: s.expect.map((a) => (a.description ? `${a.name}: ${a.description}` : a.name)),
      kubectl: [
        `kubectl get events -n ${ns} --sort-by=.lastTimestamp`,
        `kubectl get pods -n ${ns} -o custom-columns=NAME:.metadata.name,RESTARTS:.status.containerStatuses[*].restartCount,REASON:.status.containerStatuses[*].lastState.terminated.reason`,
      ],
    },
    {
      title: 'Clean up',
      scars: ['Deletes the run namespace and waits until it is gone; the journal is closed.'],
      kubectl: [
        ...elsewhere.map(
          (o) =>
            `kubectl delete ${o.kind} ${o.metadata?.name}${isClusterScoped(o.kind) ? '' : ` -n ${o.metadata?.namespace}`}`,
        ),
        `kubectl delete namespace ${ns} --wait`,
      ],
    },
  ];

  return {
    name: s.name,
    file: loaded.file,
    description: s.description,
    tags: s.tags ?? [],
    hypothesis: s.runbook?.hypothesis ?? s.description,
    blastRadius:
      s.runbook?.blastRadius ??
      `The run namespace${s.nodes ? `, and nodes: ${[s.nodes].flat().join(', ')}` : ''}${s.namespaces?.length ? `, and namespaces ${s.namespaces.join(', ')}` : ''}.`,
    expected: s.runbook?.expected ?? s.expect.map((a) => a.description ?? a.name).join('; '),
    mitigation: s.mitigation.description,
    control: hasControl(s)
      ? `The same workload without the mitigation (${s.mitigation.description}); its assertions must FAIL, or the scenario proves nothing.`
      : null,
    prerequisites: [
      'A cluster you may break: kind (`scars cluster up`), a staging cluster, or the simulator (`scars sim serve`). Never production.',
      `kubectl with rights to create namespaces, pods and evictions${s.nodes ? ', and to cordon and drain nodes' : ''}.`,
      `The agent image \`${agentImage}\` on every node (\`kind load docker-image\`) or in a registry the nodes can pull from.`,
      ...(s.namespaces?.length
        ? [`Rights in the namespaces the scenario touches besides its own: ${s.namespaces.join(', ')}.`]
        : []),
      'Dashboards and alerting for the service open; the team and the on-call engineer told when the exercise starts.',
      'This runbook printed, someone to keep time and take notes.',
    ],
    steps,
    watch: s.runbook?.watch ?? [],
    abort: [
      ...(s.runbook?.abort ?? []),
      'Anything outside the blast radius above degrades: abort at once.',
      'To abort a `scars run --step`: answer `a` at the prompt, or press Ctrl-C once; scars reverts everything it changed. A second Ctrl-C stops at once and leaves the journal for `scars cleanup`.',
    ],
    rollback: [
      ...kubectlOf.flatMap(({ commands }) => commands?.revert ?? []),
      'scars cleanup --run <run-id>   # replays the run journal: undoes every change scars recorded, in reverse',
      `kubectl delete namespace ${ns}`,
    ],
    signOff: SIGN_OFF,
    manifests: manifestsYaml(inRunNamespace),
    agentImage,
  };
}

function manifestsYaml(objects: readonly KubernetesObject[]): string {
  return objects
    .map((o) => {
      const { namespace: _ns, ...metadata } = o.metadata ?? {};
      return stringify({ ...o, metadata }, { lineWidth: 0 });
    })
    .join('---\n');
}
