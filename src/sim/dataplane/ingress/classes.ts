/**
 * Which Ingresses the sim's controller serves, by IngressClass, as ingress-nginx decides it:
 * - `spec.ingressClassName` names an IngressClass whose `spec.controller` is ours;
 * - or, without it, the deprecated `kubernetes.io/ingress.class` annotation names one of our
 *   classes;
 * - or neither is set and one of our classes is the cluster default
 *   (`ingressclass.kubernetes.io/is-default-class: "true"`). The API server's DefaultIngressClass
 *   admission plugin would have written the class name at creation; the sim does not run it, so
 *   the controller takes class-less Ingresses itself, which ends the same.
 *
 * At start the controller creates its IngressClass `scars-sim` (as the ingress-nginx manifests
 * create `nginx`), marked default like the one in the Kubernetes docs' example unless another
 * class already is.
 */
import type { IngressClass, Ingress } from 'kubernetes-types/networking/v1.js';
import type { Registry } from '../../api/rest/registry.ts';
import { resourceAt, type ResourceType } from '../../kinds/registry.ts';

export const INGRESS_CLASSES = resourceAt('networking.k8s.io/v1', 'ingressclasses') as ResourceType;
export const INGRESS_CONTROLLER = 'scars.dev/sim-ingress';
export const INGRESS_CLASS_NAME = 'scars-sim';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

const isDefault = (c: IngressClass) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true';

/** Creates the `scars-sim` IngressClass unless it exists (default unless another class is). */
export function ensureIngressClass(registry: Registry, manager: string): void {
  if (registry.find(INGRESS_CLASSES, undefined, INGRESS_CLASS_NAME)) return;
  const others = registry.list(INGRESS_CLASSES, {}).items as IngressClass[];
  const markDefault = !others.some(isDefault);
  registry.create(
    INGRESS_CLASSES,
    undefined,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: {
        name: INGRESS_CLASS_NAME,
        labels: {
          'app.kubernetes.io/component': 'controller',
          'app.kubernetes.io/name': 'scars-sim-ingress',
        },
        ...(markDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}),
      },
      spec: { controller: INGRESS_CONTROLLER },
    },
    { manager },
  );
}

/** The classes handled by this controller, as of one listing. */
export class IngressClassFilter {
  private readonly ours = new Set<string>();
  private readonly defaultOurs: boolean;

  constructor(classes: readonly IngressClass[]) {
    let anyDefault = false;
    for (const c of classes) {
      if (c.spec?.controller !== INGRESS_CONTROLLER || !c.metadata?.name) continue;
      this.ours.add(c.metadata.name);
      if (isDefault(c)) anyDefault = true;
    }
    this.defaultOurs = anyDefault;
  }

  static fromRegistry(registry: Registry): IngressClassFilter {
    return new IngressClassFilter(registry.list(INGRESS_CLASSES, {}).items as IngressClass[]);
  }

  serves(ingress: Ingress): boolean {
    const named = ingress.spec?.ingressClassName;
    if (named) return this.ours.has(named);
    const legacy = ingress.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
    if (legacy) return this.ours.has(legacy);
    return this.defaultOurs;
  }
}
