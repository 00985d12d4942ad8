/**
 * `--dry-run`: what a run would do, built from the scenario alone. No provider is provisioned,
 * no journal is opened, nothing is sent to any cluster.
 */

import { AGENT_IMAGE_NAME } from '../agent/image.ts';
import { VERSION } from '../version.ts';
import { DEFAULT_HOLD, DEFAULT_SETTLE } from './defaults.ts';
import { formatRef, refOf } from './kube-ref.ts';
import { newRunId, runNamespace } from './run-id.ts';
import { type Arm, type BuildContext, faultsOf, hasControl } from './scenario.ts';
import type { LoadedScenario } from './scenario-loader.ts';
import { buildArmObjects } from './workloads.ts';

export interface ArmPlan {
  arm: Arm;
  namespace: string;
  objects: string[];
  faults: string[];
  observers: string[];
  steadyState: string[];
  assertions: string[];
  hold: string;
  settle: string;
}

export interface ScenarioPlan {
  name: string;
  file: string;
  description: string;
  mitigation: string;
  arms: ArmPlan[];
}

export function planScenarios(
  scenarios: readonly LoadedScenario[],
  control: boolean,
  runId = newRunId(),
  agentImage = `${AGENT_IMAGE_NAME}:${VERSION}`,
): ScenarioPlan[] {
  return scenarios.map(({ file, scenario: s }) => {
    const arms: Arm[] = control && hasControl(s) ? ['main', 'control'] : ['main'];
    return {
      name: s.name,
      file,
      description: s.description,
      mitigation: s.mitigation.description,
      arms: arms.map((arm) => {
        const namespace = runNamespace(runId, s.name, arm);
        const ctx: BuildContext = { runId, namespace, arm, agentImage };
        return {
          arm,
          namespace,
          objects: describeObjects(s, ctx),
          faults: faultsOf(s).map((f) => `${f.name}: ${f.describe(ctx)}`),
          observers: (s.observers ?? []).map((o) => `${o.name}: ${o.describe(ctx)}`),
          steadyState: (s.steadyState ?? []).map((c) => c.name),
          assertions: s.expect.map((a) => (a.description ? `${a.name}: ${a.description}` : a.name)),
          hold: String(s.hold ?? DEFAULT_HOLD),
          settle: String(s.settle ?? DEFAULT_SETTLE),
        };
      }),
    };
  });
}

/** Each object of the arm, marked where the main arm's mitigation added or changed it. */
function describeObjects(s: LoadedScenario['scenario'], ctx: BuildContext): string[] {
  const objects = buildArmObjects(s, ctx);
  if (ctx.arm !== 'main') return objects.map((o) => formatRef(refOf(o)));
  const unmitigated = new Map(
    buildArmObjects(s, { ...ctx, arm: 'control' }).map((o) => [formatRef(refOf(o)), JSON.stringify(o)]),
  );
  return objects.map((o) => {
    const key = formatRef(refOf(o));
    const without = unmitigated.get(key);
    if (without === undefined) return `${key}  (added by the mitigation)`;
    return without === JSON.stringify(o) ? key : `${key}  (changed by the mitigation)`;
  });
}

export function formatPlan(plans: readonly ScenarioPlan[]): string {
  const lines: string[] = ['Plan (dry run: nothing is created, no cluster is contacted)', ''];
  for (const p of plans) {
    lines.push(`${p.name}  (${p.file})`, `  ${p.description}`, `  mitigation: ${p.mitigation}`);
    for (const a of p.arms) {
      lines.push(
        `  ${a.arm === 'main' ? 'main arm' : 'control arm (no mitigation; assertions must FAIL)'} in namespace ${a.namespace}`,
      );
      lines.push('    deploy:');
      for (const o of a.objects) lines.push(`      - ${o}`);
      if (a.steadyState.length) lines.push(`    steady state: ${a.steadyState.join(', ')}`);
      if (a.observers.length) for (const o of a.observers) lines.push(`    observe: ${o}`);
      for (const f of a.faults) lines.push(`    inject: ${f}`);
      lines.push(`    hold ${a.hold}, revert, settle ${a.settle}`);
      lines.push('    assert:');
      for (const as of a.assertions) lines.push(`      - ${as}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
