/**
 * The apiserver's validation of served kinds (pkg/apis/<group>/validation/validation.go and
 * k8s.io/apimachinery/pkg/api/validation), reporting field.Error values as Status causes. The
 * cause texts are field.Error.ErrorBody(): "Required value", `Invalid value: "x": <detail>`,
 * `Unsupported value: "x": supported values: "a", "b"`; non-scalar bad values render as JSON, as
 * current apiservers print them (`Invalid value: {"app":"web"}`).
 *
 * Coverage follows what clients hit in practice, not every rule upstream has; see each kind.
 */
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type {
  ConfigMap,
  Container,
  EnvVar,
  Namespace,
  Node,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Secret,
  Service,
  Toleration,
} from 'kubernetes-types/core/v1.js';
import type { LabelSelector, ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { isObject, type KubeObject } from '../object.ts';
import {
  goQuote,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  labelSelectorFromSpec,
  maxLenError,
  regexError,
  SelectorError,
} from '../store/selectors.ts';
import {
  QUANTITY_FORMAT_ERROR,
  compareQuantities,
  formatQuantity,
  parseQuantityExact,
  type Quantity,
  QuantityError,
  quantityText,
} from '../../kube/quantity.ts';
import { resourceForKind } from './registry.ts';

export type FieldCauseReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong';

/** A metav1.StatusCause built from a field.Error: message is ErrorBody(), field the path. */
export interface FieldCause {
  reason: FieldCauseReason;
  message: string;
  field: string;
}

// ---------------------------------------------------------------------------------------------
// field.Error constructors and value rendering

/** A value field.Error prints through its String() method, bare (intstr.IntOrString, resource.Quantity). */
class Stringer {
  constructor(readonly text: string) {}
}

/** Go's json.Marshal escapes <, > and & for HTML safety. */
function goJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'null')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

/** A Go map: json.Marshal writes its keys sorted. */
function sortedMap(map: Record<string, unknown> | undefined | null): Record<string, unknown> | null {
  if (!map) return null;
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((k) => [k, map[k]]),
  );
}

function render(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Stringer) return value.text;
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return goJson(value);
}

const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);
const index = (path: string, i: number): string => `${path}[${i}]`;
const key = (path: string, k: string): string => `${path}[${k}]`;

const required = (field: string, detail = ''): FieldCause => ({
  reason: 'FieldValueRequired',
  field,
  message: detail ? `Required value: ${detail}` : 'Required value',
});
const invalid = (field: string, value: unknown, detail: string): FieldCause => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${render(value)}${detail ? `: ${detail}` : ''}`,
});
const notSupported = (field: string, value: unknown, valid: readonly string[]): FieldCause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${render(value)}${valid.length > 0 ? `: supported values: ${valid.map(goQuote).join(', ')}` : ''}`,
});
const duplicate = (field: string, value: unknown, detail = ''): FieldCause => ({
  reason: 'FieldValueDuplicate',
  field,
  message: `Duplicate value: ${render(value)}${detail ? `: ${detail}` : ''}`,
});
const forbidden = (field: string, detail: string): FieldCause => ({
  reason: 'FieldValueForbidden',
  field,
  message: detail ? `Forbidden: ${detail}` : 'Forbidden',
});
const tooLong = (field: string, max: number): FieldCause => ({
  reason: 'FieldValueTooLong',
  field,
  message: `Too long: must have at most ${max} bytes`,
});

/**
 * errors.NewInvalid's message: `Deployment.apps "web" is invalid: <errors>` — one error bare,
 * several in brackets, identical ones once (ErrorList.ToAggregate). kindForMessage is the
 * qualified kind, GroupKind.String(): "Pod", "Deployment.apps".
 */
export function invalidMessage(kindForMessage: string, name: string, causes: FieldCause[]): string {
  const head = `${kindForMessage} ${goQuote(name)} is invalid`;
  const messages = [...new Set(causes.map((c) => `${c.field}: ${c.message}`))];
  if (messages.length === 0) return head;
  return `${head}: ${messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`}`;
}

// ---------------------------------------------------------------------------------------------
// Shared rules (k8s.io/apimachinery/pkg/api/validation, util/validation)

const IS_NEGATIVE = 'must be greater than or equal to 0';
const IMMUTABLE = 'field is immutable';

type NameFn = (name: string, prefix: boolean) => string[];

/** maskTrailingDash: a generateName may end in '-' (a suffix follows); upstream swaps its last two characters for "a". */
const maskTrailingDash = (name: string): string =>
  name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
const nameIsDNSSubdomain: NameFn = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
const nameIsDNSLabel: NameFn = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);

/** path.IsValidPathSegmentName: what every name must be, being part of a URL. */
function isPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}
const pathSegmentName: NameFn = (name) => isPathSegmentName(name);

/** ValidateCronJobCreate: the controller appends an 11-character suffix to a name that must stay a label. */
const cronJobName: NameFn = (name, prefix) => {
  const msgs = nameIsDNSSubdomain(name, prefix);
  if (!prefix && Buffer.byteLength(name) > 63 - 11) msgs.push('must be no more than 52 characters');
  return msgs;
};

/**
 * Name rules that differ from the DNS subdomain most kinds use. Services take a DNS-1123 label
 * (RelaxedServiceNameValidation, the newer rule; older servers required DNS-1035); StatefulSets a
 * label (their names become Pod hostnames); PDBs only what a URL path segment allows.
 */
const NAME_RULES: Record<string, NameFn> = {
  'v1/Namespace': nameIsDNSLabel,
  'v1/Service': nameIsDNSLabel,
  'apps/v1/StatefulSet': nameIsDNSLabel,
  'batch/v1/CronJob': cronJobName,
  'policy/v1/PodDisruptionBudget': pathSegmentName,
};

function validateNonnegative(value: unknown, field: string): FieldCause[] {
  return typeof value === 'number' && value < 0 ? [invalid(field, value, IS_NEGATIVE)] : [];
}

function validateDNS1123Label(value: string, field: string): FieldCause[] {
  return isDNS1123Label(value).map((m) => invalid(field, value, m));
}

function validateDNS1123Subdomain(value: string, field: string): FieldCause[] {
  return isDNS1123Subdomain(value).map((m) => invalid(field, value, m));
}

/** metav1validation.ValidateLabels, in sorted key order (Go's map order is random). */
export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const k of Object.keys(labels ?? {}).sort()) {
    const v = String((labels as Record<string, unknown>)[k]);
    for (const m of isQualifiedName(k)) causes.push(invalid(field, k, m));
    for (const m of isValidLabelValue(v)) causes.push(invalid(field, v, m));
  }
  return causes;
}

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  let size = 0;
  for (const k of Object.keys(annotations ?? {}).sort()) {
    // Qualified names, except that case does not matter.
    for (const m of isQualifiedName(k.toLowerCase())) causes.push(invalid(field, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(String((annotations as Record<string, unknown>)[k]));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) causes.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

function validateOwnerReferences(refs: OwnerReference[] | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const version = (ref.apiVersion ?? '').split('/').pop() ?? '';
    if (!version)
      causes.push(invalid(join(field, 'apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) causes.push(invalid(join(field, 'kind'), ref.kind ?? '', 'must not be empty'));
    if (!ref.name) causes.push(invalid(join(field, 'name'), ref.name ?? '', 'must not be empty'));
    if (!ref.uid) causes.push(invalid(join(field, 'uid'), ref.uid ?? '', 'must not be empty'));
    if (ref.apiVersion === 'v1' && ref.kind === 'Event') {
      causes.push(invalid(field, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController) {
        causes.push(
          invalid(
            field,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return causes;
}

function validateFinalizers(finalizers: string[] | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const f of finalizers ?? []) for (const m of isQualifiedName(f)) causes.push(invalid(field, f, m));
  const list = finalizers ?? [];
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    causes.push(invalid(field, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return causes;
}

/** ValidateObjectMetaAccessor (create). The registry generates names before validating, as BeforeCreate does. */
function validateObjectMeta(meta: ObjectMeta, namespaced: boolean, nameFn: NameFn): FieldCause[] {
  const causes: FieldCause[] = [];
  if (meta.generateName) {
    for (const m of nameFn(meta.generateName, true))
      causes.push(invalid('metadata.generateName', meta.generateName, m));
  }
  if (!meta.name) causes.push(required('metadata.name', 'name or generateName is required'));
  else for (const m of nameFn(meta.name, false)) causes.push(invalid('metadata.name', meta.name, m));
  causes.push(...validateObjectMetaCommon(meta, namespaced));
  return causes;
}

function validateObjectMetaCommon(meta: ObjectMeta, namespaced: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  if (namespaced) {
    if (!meta.namespace) causes.push(required('metadata.namespace'));
    else
      causes.push(
        ...isDNS1123Label(meta.namespace).map((m) => invalid('metadata.namespace', meta.namespace, m)),
      );
  } else if (meta.namespace) {
    causes.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  causes.push(...validateNonnegative(meta.generation, 'metadata.generation'));
  causes.push(...validateLabels(meta.labels, 'metadata.labels'));
  causes.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  causes.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  causes.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  return causes;
}

/** ValidateObjectMetaAccessorUpdate. (resourceVersion presence is the registry's: it fills it for unconditional updates.) */
function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta): FieldCause[] {
  const causes: FieldCause[] = [];
  if (old.deletionTimestamp) {
    const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f)).sort();
    if (added.length > 0) {
      causes.push(
        forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map(goQuote).join(', ')}}`,
        ),
      );
    }
  }
  if ((meta.generation ?? 0) < (old.generation ?? 0))
    causes.push(invalid('metadata.generation', meta.generation ?? 0, 'must not be decremented'));
  const immutable = (field: keyof ObjectMeta): void => {
    const a = meta[field];
    const b = old[field];
    if (!same(a, b)) causes.push(invalid(`metadata.${field}`, a ?? null, IMMUTABLE));
  };
  immutable('name');
  immutable('namespace');
  immutable('uid');
  immutable('creationTimestamp');
  immutable('deletionTimestamp');
  immutable('deletionGracePeriodSeconds');
  causes.push(...validateLabels(meta.labels, 'metadata.labels'));
  causes.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  causes.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  causes.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  return causes;
}

/** apiequality.Semantic.DeepEqual over JSON: key order and absent-vs-undefined do not matter. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => same(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!same(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** ValidateLabelSelector: matchLabels as labels, each matchExpression's operator, key and values. */
function validateLabelSelector(selector: LabelSelector | undefined, field: string): FieldCause[] {
  if (!selector) return [];
  const causes = validateLabels(selector.matchLabels, join(field, 'matchLabels'));
  (selector.matchExpressions ?? []).forEach((expr, i) => {
    const p = index(join(field, 'matchExpressions'), i);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          causes.push(required(join(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          causes.push(
            forbidden(
              join(p, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      default:
        causes.push(invalid(join(p, 'operator'), expr.operator, 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(expr.key)) causes.push(invalid(join(p, 'key'), expr.key, m));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) causes.push(invalid(index(join(p, 'values'), j), v, m));
    });
  });
  return causes;
}

/** A LabelSelector as json.Marshal writes the struct: matchLabels then matchExpressions, empty ones omitted. */
function selectorValue(selector: LabelSelector | undefined): unknown {
  if (!selector) return null;
  const out: Record<string, unknown> = {};
  if (selector.matchLabels && Object.keys(selector.matchLabels).length > 0)
    out.matchLabels = sortedMap(selector.matchLabels);
  if (selector.matchExpressions && selector.matchExpressions.length > 0)
    out.matchExpressions = selector.matchExpressions;
  return out;
}

function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean | undefined {
  try {
    return labelSelectorFromSpec(selector).matches(labels);
  } catch (e) {
    if (e instanceof SelectorError) return undefined;
    throw e;
  }
}

const isPortNum = (n: unknown): boolean =>
  typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
const PORT_RANGE = 'must be between 1 and 65535, inclusive';

/** validation.IsValidPortName (IANA service names). */
function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port))
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.startsWith('-') || port.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

function validatePortNumOrName(port: unknown, field: string): FieldCause[] {
  if (typeof port === 'number') return isPortNum(port) ? [] : [invalid(field, port, PORT_RANGE)];
  if (typeof port === 'string') {
    if (port === '') return [required(field)];
    return isValidPortName(port).map((m) => invalid(field, port, m));
  }
  return [];
}

/** IntOrString values are printed through their String() method. */
const intOrString = (v: unknown): Stringer => new Stringer(String(v));

/** ValidatePositiveIntOrPercent (apps validation, reused by PDBs): a non-negative int or "<n>%". */
function validatePositiveIntOrPercent(value: unknown, field: string): FieldCause[] {
  if (typeof value === 'string') {
    if (/^[0-9]+%$/.test(value)) return [];
    return [
      invalid(
        field,
        intOrString(value),
        regexError(
          "a valid percent string must be a numeric string followed by an ending '%'",
          '[0-9]+%',
          '1%',
          '93%',
        ),
      ),
    ];
  }
  return validateNonnegative(value, field);
}

function isNotMoreThan100Percent(value: unknown, field: string): FieldCause[] {
  if (typeof value !== 'string' || !/^[0-9]+%$/.test(value) || Number(value.slice(0, -1)) <= 100) return [];
  return [invalid(field, intOrString(value), 'must not be greater than 100%')];
}

/** getIntOrPercentValue: the number, whether given as an int or as a percentage. */
const intOrPercentValue = (value: unknown): number =>
  typeof value === 'number' ? value : typeof value === 'string' ? Number.parseInt(value, 10) || 0 : 0;

// ---------------------------------------------------------------------------------------------
// Quantities and resources

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
/** helper.IsOvercommitAllowed: native resources (no domain, or a kubernetes.io/ one) other than hugepages. */
const isOvercommitAllowed = (name: string): boolean =>
  (!name.includes('/') || name.includes('kubernetes.io/')) && !isHugePages(name);

function readQuantity(value: unknown): Quantity | undefined {
  const text = quantityText(value);
  if (text === undefined) return undefined;
  try {
    return parseQuantityExact(text);
  } catch (e) {
    if (e instanceof QuantityError) return undefined;
    throw e;
  }
}

/** validateContainerResourceName and ValidateResourceQuantityValue for one entry. */
function validateResourceEntry(name: string, value: unknown, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const m of isQualifiedName(name)) causes.push(invalid(field, name, m));
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      causes.push(invalid(field, name, 'must be a standard resource for containers'));
    }
  }
  const q = readQuantity(value);
  if (q && q.negative) causes.push(invalid(field, formatQuantity(q), IS_NEGATIVE));
  // Extended resources count whole units.
  if (q && name.includes('/') && !name.includes('kubernetes.io/') && q.exponent < 0) {
    const whole = q.mantissa % 10n ** BigInt(-q.exponent) === 0n;
    if (!whole) causes.push(invalid(field, new Stringer(formatQuantity(q)), 'must be an integer'));
  }
  return causes;
}

/** ValidateContainerResourceRequirements: each limit, each request, and request ≤ limit. */
function validateResourceRequirements(
  resources: ResourceRequirements | undefined,
  field: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  const limits = (resources?.limits ?? {}) as Record<string, unknown>;
  const requests = (resources?.requests ?? {}) as Record<string, unknown>;
  const limPath = join(field, 'limits');
  const reqPath = join(field, 'requests');
  for (const name of Object.keys(limits).sort())
    causes.push(...validateResourceEntry(name, limits[name], key(limPath, name)));
  for (const name of Object.keys(requests).sort()) {
    causes.push(...validateResourceEntry(name, requests[name], key(reqPath, name)));
    const request = readQuantity(requests[name]);
    if (name in limits) {
      const limit = readQuantity(limits[name]);
      if (request && limit) {
        const cmp = compareQuantities(request, limit);
        const shown = formatQuantity(request);
        if (cmp !== 0 && !isOvercommitAllowed(name)) {
          causes.push(invalid(reqPath, shown, `must be equal to ${name} limit of ${formatQuantity(limit)}`));
        } else if (cmp > 0) {
          causes.push(
            invalid(
              reqPath,
              shown,
              `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`,
            ),
          );
        }
      }
    } else if (!isOvercommitAllowed(name)) {
      causes.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return causes;
}

/** Where a quantity sits in each kind: decoding any of them fails before validation does. */
function quantityValues(apiVersion: string, kind: string, obj: KubeObject): unknown[] {
  const out: unknown[] = [];
  const lists = (v: unknown): void => {
    if (!isObject(v)) return;
    out.push(...Object.values(v));
  };
  const podSpec = (spec: unknown): void => {
    if (!isObject(spec)) return;
    for (const group of ['containers', 'initContainers', 'ephemeralContainers']) {
      const list = spec[group];
      if (!Array.isArray(list)) continue;
      for (const c of list) {
        if (!isObject(c) || !isObject(c.resources)) continue;
        lists(c.resources.limits);
        lists(c.resources.requests);
      }
    }
    lists(spec.overhead);
  };
  const spec = isObject(obj.spec) ? obj.spec : undefined;
  switch (`${apiVersion}/${kind}`) {
    case 'v1/Pod':
      podSpec(spec);
      break;
    case 'apps/v1/Deployment':
    case 'apps/v1/ReplicaSet':
    case 'apps/v1/DaemonSet':
    case 'apps/v1/StatefulSet':
    case 'batch/v1/Job':
      podSpec(isObject(spec?.template) ? spec.template.spec : undefined);
      break;
    case 'batch/v1/CronJob': {
      const jobSpec = isObject(spec?.jobTemplate) ? spec.jobTemplate.spec : undefined;
      podSpec(isObject(jobSpec) && isObject(jobSpec.template) ? jobSpec.template.spec : undefined);
      break;
    }
    case 'v1/PersistentVolumeClaim':
      if (isObject(spec?.resources)) {
        lists(spec.resources.limits);
        lists(spec.resources.requests);
      }
      break;
    case 'v1/PersistentVolume':
      lists(spec?.capacity);
      break;
    case 'v1/ResourceQuota':
      lists(spec?.hard);
      break;
    case 'v1/Node':
      if (isObject(obj.status)) {
        lists(obj.status.capacity);
        lists(obj.status.allocatable);
      }
      break;
    case 'v1/LimitRange':
      if (Array.isArray(spec?.limits)) {
        for (const item of spec.limits) {
          if (!isObject(item)) continue;
          for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) lists(item[k]);
        }
      }
      break;
  }
  return out;
}

/**
 * A quantity that does not parse fails JSON decoding, before defaulting or validation: the
 * apiserver answers 400 BadRequest with this message, e.g. `Pod in version "v1" cannot be
 * handled as a Pod: quantities must match the regular expression '...'`.
 */
export function quantityDecodeError(apiVersion: string, kind: string, obj: KubeObject): string | undefined {
  for (const value of quantityValues(apiVersion, kind, obj)) {
    const text = quantityText(value);
    let message: string | undefined;
    if (text === undefined) message = QUANTITY_FORMAT_ERROR;
    else {
      try {
        parseQuantityExact(text);
      } catch (e) {
        if (!(e instanceof QuantityError)) throw e;
        message = e.message;
      }
    }
    if (message !== undefined) {
      const version = apiVersion.split('/').pop() ?? apiVersion;
      return `${kind} in version ${goQuote(version)} cannot be handled as a ${kind}: ${message}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Pods (pkg/apis/core/validation: ValidatePodSpec and friends)

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** The relaxed env var name rule (RelaxedEnvironmentVariableValidation, on by default). */
function validateEnv(env: EnvVar[] | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  (env ?? []).forEach((e, i) => {
    const p = join(index(field, i), 'name');
    if (!e.name) causes.push(required(p));
    else if (/[^\x20-\x7e]|=/.test(e.name)) {
      causes.push(
        invalid(
          p,
          e.name,
          "a valid environment variable name must consist only of printable ASCII characters other than '='",
        ),
      );
    }
  });
  return causes;
}

const HANDLER_KEYS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;

/** validateProbe and validateHandler; liveness and startup probes must succeed once to count. */
function validateProbe(
  probe: Probe | undefined,
  field: string,
  kind: 'liveness' | 'readiness' | 'startup',
): FieldCause[] {
  if (!probe) return [];
  const causes: FieldCause[] = [];
  const handlers = HANDLER_KEYS.filter((k) => probe[k] !== undefined && probe[k] !== null);
  if (handlers.length === 0) causes.push(required(field, 'must specify a handler type'));
  else if (handlers.length > 1)
    causes.push(forbidden(join(field, handlers[1] as string), 'may not specify more than 1 handler type'));
  for (const k of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    causes.push(...validateNonnegative(probe[k], join(field, k)));
  }
  if (kind !== 'readiness' && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    causes.push(invalid(join(field, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  if (kind === 'readiness' && probe.terminationGracePeriodSeconds !== undefined) {
    causes.push(
      invalid(
        join(field, 'terminationGracePeriodSeconds'),
        probe.terminationGracePeriodSeconds,
        'must not be set for readinessProbes',
      ),
    );
  }
  if (probe.httpGet)
    causes.push(...validatePortNumOrName(probe.httpGet.port, join(join(field, 'httpGet'), 'port')));
  if (probe.tcpSocket)
    causes.push(...validatePortNumOrName(probe.tcpSocket.port, join(join(field, 'tcpSocket'), 'port')));
  return causes;
}

function validateContainer(c: Container, field: string, names: Set<string>, init: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const namePath = join(field, 'name');
  if (!c.name) causes.push(required(namePath));
  else causes.push(...validateDNS1123Label(c.name, namePath));
  if (names.has(c.name)) causes.push(duplicate(namePath, c.name));
  else if (c.name) names.add(c.name);
  if (!c.image) causes.push(required(join(field, 'image')));
  else if (c.image.trim() !== c.image)
    causes.push(invalid(join(field, 'image'), c.image, 'must not have leading or trailing whitespace'));
  if (!c.terminationMessagePolicy) causes.push(required(join(field, 'terminationMessagePolicy')));
  else if (!['File', 'FallbackToLogsOnError'].includes(c.terminationMessagePolicy)) {
    causes.push(
      notSupported(join(field, 'terminationMessagePolicy'), c.terminationMessagePolicy, [
        'File',
        'FallbackToLogsOnError',
      ]),
    );
  }
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = index(join(field, 'ports'), i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) causes.push(...msgs.map((m) => invalid(join(p, 'name'), port.name, m)));
      else if (portNames.has(port.name)) causes.push(duplicate(join(p, 'name'), port.name));
      else portNames.add(port.name);
    }
    if (!port.containerPort) causes.push(required(join(p, 'containerPort')));
    else if (!isPortNum(port.containerPort))
      causes.push(invalid(join(p, 'containerPort'), port.containerPort, PORT_RANGE));
    if (port.hostPort && !isPortNum(port.hostPort))
      causes.push(invalid(join(p, 'hostPort'), port.hostPort, PORT_RANGE));
    if (!port.protocol) causes.push(required(join(p, 'protocol')));
    else if (!PORT_PROTOCOLS.includes(port.protocol))
      causes.push(notSupported(join(p, 'protocol'), port.protocol, PORT_PROTOCOLS));
  });
  causes.push(...validateEnv(c.env, join(field, 'env')));
  (c.volumeMounts ?? []).forEach((m, i) => {
    if (!m.mountPath) causes.push(required(join(index(join(field, 'volumeMounts'), i), 'mountPath')));
  });
  causes.push(...validateResourceRequirements(c.resources, join(field, 'resources')));
  const sidecar = init && c.restartPolicy === 'Always';
  if (init && !sidecar) {
    for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[k]) causes.push(invalid(join(field, k), c[k], 'must not be set for init containers'));
    }
  } else {
    causes.push(...validateProbe(c.livenessProbe, join(field, 'livenessProbe'), 'liveness'));
    causes.push(...validateProbe(c.readinessProbe, join(field, 'readinessProbe'), 'readiness'));
    causes.push(...validateProbe(c.startupProbe, join(field, 'startupProbe'), 'startup'));
  }
  if (!c.imagePullPolicy) causes.push(required(join(field, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(c.imagePullPolicy))
    causes.push(notSupported(join(field, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  return causes;
}

/** ValidateTolerations. */
function validateTolerations(tolerations: Toleration[] | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = index(field, i);
    if (t.key) for (const m of isQualifiedName(t.key)) causes.push(invalid(join(p, 'key'), t.key, m));
    if (!t.key && t.operator !== 'Exists') {
      causes.push(
        invalid(
          join(p, 'operator'),
          t.operator ?? '',
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      causes.push(
        invalid(
          join(p, 'effect'),
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const errs = isValidLabelValue(t.value ?? '');
        if (errs.length > 0) causes.push(invalid(join(p, 'operator'), t.value ?? '', errs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value)
          causes.push(invalid(join(p, 'operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        causes.push(notSupported(join(p, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect))
      causes.push(notSupported(join(p, 'effect'), t.effect, TAINT_EFFECTS));
  });
  return causes;
}

function validatePodSpec(spec: PodSpec | undefined, field: string): FieldCause[] {
  const s = spec ?? ({} as PodSpec);
  const causes: FieldCause[] = [];
  const at = (name: string): string => join(field, name);
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) {
    causes.push(required(at('terminationGracePeriodSeconds')));
  }
  const volumeNames = new Set<string>();
  (s.volumes ?? []).forEach((v, i) => {
    const p = join(index(at('volumes'), i), 'name');
    if (!v.name) causes.push(required(p));
    else causes.push(...validateDNS1123Label(v.name, p));
    if (volumeNames.has(v.name)) causes.push(duplicate(p, v.name));
    volumeNames.add(v.name);
  });
  const containers = s.containers ?? [];
  const names = new Set<string>();
  if (containers.length === 0) causes.push(required(at('containers')));
  containers.forEach((c, i) =>
    causes.push(...validateContainer(c, index(at('containers'), i), names, false)),
  );
  (s.initContainers ?? []).forEach((c, i) =>
    causes.push(...validateContainer(c, index(at('initContainers'), i), names, true)),
  );
  if (!s.restartPolicy) causes.push(required(at('restartPolicy')));
  else if (!RESTART_POLICIES.includes(s.restartPolicy))
    causes.push(notSupported(at('restartPolicy'), s.restartPolicy, RESTART_POLICIES));
  if (!s.dnsPolicy) causes.push(required(at('dnsPolicy')));
  else if (!DNS_POLICIES.includes(s.dnsPolicy))
    causes.push(notSupported(at('dnsPolicy'), s.dnsPolicy, DNS_POLICIES));
  causes.push(...validateLabels(s.nodeSelector, at('nodeSelector')));
  if (s.serviceAccountName)
    causes.push(
      ...isDNS1123Subdomain(s.serviceAccountName).map((m) =>
        invalid(at('serviceAccountName'), s.serviceAccountName, m),
      ),
    );
  if (s.nodeName)
    causes.push(...isDNS1123Subdomain(s.nodeName).map((m) => invalid(at('nodeName'), s.nodeName, m)));
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (v < 1 || v > 2147483647)
      causes.push(invalid(at('activeDeadlineSeconds'), v, 'must be between 1 and 2147483647, inclusive'));
  }
  if (s.hostname) causes.push(...validateDNS1123Label(s.hostname, at('hostname')));
  if (s.subdomain) causes.push(...validateDNS1123Label(s.subdomain, at('subdomain')));
  causes.push(...validateTolerations(s.tolerations, at('tolerations')));
  if (s.priorityClassName)
    causes.push(
      ...isDNS1123Subdomain(s.priorityClassName).map((m) =>
        invalid(at('priorityClassName'), s.priorityClassName, m),
      ),
    );
  if (s.preemptionPolicy && !['PreemptLowerPriority', 'Never'].includes(s.preemptionPolicy)) {
    causes.push(notSupported(at('preemptionPolicy'), s.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
  }
  return causes;
}

/** ValidatePodTemplateSpec: note upstream reports template labels under `<template>.labels`, not metadata.labels. */
function validatePodTemplateSpec(template: PodTemplateSpec | undefined, field: string): FieldCause[] {
  const causes = validateLabels(template?.metadata?.labels, join(field, 'labels'));
  causes.push(...validateAnnotations(template?.metadata?.annotations, join(field, 'annotations')));
  causes.push(...validatePodSpec(template?.spec, join(field, 'spec')));
  if ((template?.spec?.ephemeralContainers ?? []).length > 0) {
    causes.push(
      forbidden(
        join(join(field, 'spec'), 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return causes;
}

const POD_UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
].join(',');

/** validateOnlyAddedTolerations: every old toleration must still be there, up to its tolerationSeconds. */
function validateOnlyAddedTolerations(
  next: Toleration[] | undefined,
  old: Toleration[] | undefined,
  field: string,
): FieldCause[] {
  for (const o of old ?? []) {
    const found = (next ?? []).some((n) => same({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found)
      return [forbidden(field, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, field);
}

/** ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and scheduling gate removals. */
function validatePodUpdate(pod: Pod, old: Pod): FieldCause[] {
  const causes: FieldCause[] = [];
  const spec = pod.spec ?? ({} as PodSpec);
  const oldSpec = old.spec ?? ({} as PodSpec);
  for (const group of ['containers', 'initContainers'] as const) {
    const next = spec[group] ?? [];
    const prev = oldSpec[group] ?? [];
    if (next.length !== prev.length) {
      causes.push(forbidden(join('spec', group), 'pod updates may not add or remove containers'));
      return causes;
    }
    next.forEach((c, i) => {
      const p = join(index(join('spec', group), i), 'image');
      if (!c.image) causes.push(required(p));
      else if (c.image.trim() !== c.image)
        causes.push(invalid(p, c.image, 'must not have leading or trailing whitespace'));
    });
  }
  const deadline = spec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    if (deadline < 0 || deadline > 2147483647) {
      causes.push(
        invalid('spec.activeDeadlineSeconds', deadline, 'must be between 0 and 2147483647, inclusive'),
      );
      return causes;
    }
    if (oldDeadline !== undefined && oldDeadline !== null && oldDeadline < deadline) {
      causes.push(
        invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value'),
      );
      return causes;
    }
  } else if (oldDeadline !== undefined && oldDeadline !== null) {
    causes.push(
      invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'),
    );
  }
  causes.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations, 'spec.tolerations'));
  const oldGates = (oldSpec.schedulingGates ?? []).map((g) => g.name);
  if ((spec.schedulingGates ?? []).some((g) => !oldGates.includes(g.name))) {
    causes.push(
      forbidden(
        'spec.schedulingGates',
        "only deletion is allowed, but found new scheduling gate '" +
          ((spec.schedulingGates ?? []).find((g) => !oldGates.includes(g.name))?.name ?? '') +
          "'",
      ),
    );
  }
  // Munge the allowed changes back to the old values; anything left is forbidden.
  const munged = structuredClone(spec) as PodSpec & Record<string, unknown>;
  for (const group of ['containers', 'initContainers'] as const) {
    (munged[group] ?? []).forEach((c, i) => {
      c.image = oldSpec[group]?.[i]?.image as string;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  munged.schedulingGates = oldSpec.schedulingGates;
  if ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  // Upstream appends a cmp.Diff of the internal PodSpecs, which cannot be reproduced; the header is exact.
  if (!same(munged, oldSpec))
    causes.push(forbidden('spec', `pod updates may not change fields other than ${POD_UPDATABLE_FIELDS}`));
  return causes;
}

function validatePod(pod: Pod & KubeObject, old: (Pod & KubeObject) | undefined): FieldCause[] {
  if (old) {
    return [
      ...validateObjectMetaUpdate(pod.metadata, old.metadata),
      ...validatePodSpec(pod.spec, 'spec'),
      ...validatePodUpdate(pod, old),
    ];
  }
  return [
    ...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain),
    ...validatePodSpec(pod.spec, 'spec'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Core kinds

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function validateService(svc: Service, old: Service | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  const spec = svc.spec ?? {};
  const type = spec.type ?? '';
  const headless = spec.clusterIP === 'None';
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') causes.push(required('spec.ports'));
  if (type === 'ExternalName') {
    if (!spec.externalName) causes.push(required('spec.externalName'));
    else causes.push(...validateDNS1123Subdomain(spec.externalName.replace(/\.$/, ''), 'spec.externalName'));
  }
  const portNames = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((port, i) => {
    const p = index('spec.ports', i);
    if (ports.length > 1 && !port.name) causes.push(required(join(p, 'name')));
    else if (port.name) {
      causes.push(...validateDNS1123Label(port.name, join(p, 'name')));
      if (portNames.has(port.name)) causes.push(duplicate(join(p, 'name'), port.name));
      portNames.add(port.name);
    }
    if (!isPortNum(port.port)) causes.push(invalid(join(p, 'port'), port.port, PORT_RANGE));
    if (!port.protocol) causes.push(required(join(p, 'protocol')));
    else if (!PORT_PROTOCOLS.includes(port.protocol))
      causes.push(notSupported(join(p, 'protocol'), port.protocol, PORT_PROTOCOLS));
    causes.push(...validatePortNumOrName(port.targetPort, join(p, 'targetPort')));
    if (type === 'ClusterIP' && port.nodePort)
      causes.push(forbidden(join(p, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    const k = `${port.protocol}/${port.port}`;
    if (portKeys.has(k)) causes.push(duplicate(p, { port: port.port, protocol: port.protocol }));
    portKeys.add(k);
  });
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
  if (spec.sessionAffinity && !['ClientIP', 'None'].includes(spec.sessionAffinity)) {
    causes.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  }
  if (!type) causes.push(required('spec.type'));
  else if (!SERVICE_TYPES.includes(type)) causes.push(notSupported('spec.type', type, SERVICE_TYPES));
  if (old && old.spec?.type !== 'ExternalName' && type !== 'ExternalName') {
    // validateUpgradeDowngradeClusterIPs. A changed clusterIP alone counts as a changed clusterIPs[0]
    // (the strategy's normalizeClusterIPs rewrites clusterIPs from it first).
    const oldIps = old.spec?.clusterIPs ?? (old.spec?.clusterIP ? [old.spec.clusterIP] : []);
    let ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    if (
      spec.clusterIP &&
      spec.clusterIP !== old.spec?.clusterIP &&
      same(spec.clusterIPs, old.spec?.clusterIPs)
    )
      ips = [spec.clusterIP];
    if (oldIps.length > 0 && ips.length > 0 && ips[0] !== oldIps[0])
      causes.push(invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
  }
  return causes;
}

const STANDARD_NAMESPACE_FINALIZERS = ['kubernetes'];

function validateNamespace(ns: Namespace): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const f of ns.spec?.finalizers ?? []) {
    if (!f.includes('/') && !STANDARD_NAMESPACE_FINALIZERS.includes(f)) {
      causes.push(
        invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'),
      );
    } else {
      for (const m of isQualifiedName(f)) causes.push(invalid('spec.finalizers', f, m));
    }
  }
  return causes;
}

/** validation.IsConfigMapKey (ConfigMap and Secret data keys). */
function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(value) > 253) errs.push(maxLenError(253));
  if (!/^[-._a-zA-Z0-9]+$/.test(value)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        '[-._a-zA-Z0-9]+',
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

const MAX_SECRET_SIZE = 1024 * 1024;

function validateSecret(secret: Secret, old: Secret | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  if (old) {
    if (secret.type !== old.type) causes.push(invalid('type', secret.type ?? '', IMMUTABLE));
    if (old.immutable) {
      if (!secret.immutable)
        causes.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
      if (!same(secret.data ?? {}, old.data ?? {}))
        causes.push(forbidden('data', 'field is immutable when `immutable` is set'));
    }
  }
  const data = secret.data ?? {};
  let size = 0;
  for (const k of Object.keys(data).sort()) {
    for (const m of isConfigMapKey(k)) causes.push(invalid(key('data', k), k, m));
    size += Buffer.from(String(data[k]), 'base64').length;
  }
  if (size > MAX_SECRET_SIZE) causes.push(tooLong('data', MAX_SECRET_SIZE));
  const needs = (k: string): void => {
    if (!(k in data)) causes.push(required(key('data', k)));
  };
  switch (secret.type) {
    case 'kubernetes.io/dockerconfigjson':
      needs('.dockerconfigjson');
      break;
    case 'kubernetes.io/dockercfg':
      needs('.dockercfg');
      break;
    case 'kubernetes.io/tls':
      needs('tls.crt');
      needs('tls.key');
      break;
    case 'kubernetes.io/ssh-auth':
      needs('ssh-privatekey');
      break;
  }
  return causes;
}

function validateConfigMap(cm: ConfigMap, old: ConfigMap | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  if (old?.immutable) {
    if (!cm.immutable) causes.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!same(cm.data ?? {}, old.data ?? {}))
      causes.push(forbidden('data', 'field is immutable when `immutable` is set'));
    if (!same(cm.binaryData ?? {}, old.binaryData ?? {}))
      causes.push(forbidden('binaryData', 'field is immutable when `immutable` is set'));
  }
  const binary = cm.binaryData ?? {};
  for (const k of Object.keys(cm.data ?? {}).sort()) {
    for (const m of isConfigMapKey(k)) causes.push(invalid(key('data', k), k, m));
    if (k in binary) causes.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
  }
  for (const k of Object.keys(binary).sort())
    for (const m of isConfigMapKey(k)) causes.push(invalid(key('binaryData', k), k, m));
  return causes;
}

function validateNode(node: Node): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = index('spec.taints', i);
    for (const m of isQualifiedName(t.key)) causes.push(invalid(join(p, 'key'), t.key, m));
    const valueErrs = isValidLabelValue(t.value ?? '');
    if (valueErrs.length > 0) causes.push(invalid(join(p, 'value'), t.value ?? '', valueErrs.join(';')));
    if (!t.effect) causes.push(required(join(p, 'effect')));
    else if (!TAINT_EFFECTS.includes(t.effect))
      causes.push(notSupported(join(p, 'effect'), t.effect, TAINT_EFFECTS));
    const k = `${t.effect}\0${t.key}`;
    if (seen.has(k)) causes.push(duplicate(p, t, 'taints must be unique by key and effect pair'));
    seen.add(k);
  });
  return causes;
}

// ---------------------------------------------------------------------------------------------
// apps/v1

/**
 * ValidatePodTemplateSpecForReplicaSet, shared by Deployments and ReplicaSets. A nil selector
 * is labels.Nothing(), which is not "empty" and matches nothing, so a missing selector is also
 * reported as not matching the template.
 */
function validateTemplateForReplicas(
  template: PodTemplateSpec | undefined,
  selector: LabelSelector | undefined,
  controller: 'ReplicaSet' | 'DaemonSet',
): FieldCause[] {
  const causes: FieldCause[] = [];
  const labels = template?.metadata?.labels;
  const sel = ((): { empty: boolean; matches: boolean } | undefined => {
    try {
      const s = labelSelectorFromSpec(selector);
      return { empty: s.empty, matches: s.matches(labels) };
    } catch (e) {
      if (e instanceof SelectorError) return undefined;
      throw e;
    }
  })();
  if (sel && !sel.empty && !sel.matches) {
    causes.push(
      invalid(
        'spec.template.metadata.labels',
        sortedMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  causes.push(...validatePodTemplateSpec(template, 'spec.template'));
  const restartPolicy = template?.spec?.restartPolicy;
  if (restartPolicy !== 'Always')
    causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy ?? '', ['Always']));
  const deadline = template?.spec?.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    causes.push(
      invalid(
        'spec.template.spec.activeDeadlineSeconds',
        deadline,
        `activeDeadlineSeconds in ${controller} is not Supported`,
      ),
    );
  }
  return causes;
}

/** The selector checks Deployments, ReplicaSets and StatefulSets share: required, valid, not empty. */
function validateRequiredSelector(selector: LabelSelector | undefined, what: string): FieldCause[] {
  if (!selector) return [required('spec.selector')];
  const causes = validateLabelSelector(selector, 'spec.selector');
  if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
    causes.push(invalid('spec.selector', selectorValue(selector), `empty selector is invalid for ${what}`));
  }
  return causes;
}

function validateImmutableSelector(
  selector: LabelSelector | undefined,
  old: LabelSelector | undefined,
): FieldCause[] {
  return same(selector ?? null, old ?? null)
    ? []
    : [invalid('spec.selector', selectorValue(selector), IMMUTABLE)];
}

function validateDeployment(d: Deployment, old: Deployment | undefined): FieldCause[] {
  const spec = d.spec ?? ({} as NonNullable<Deployment['spec']>);
  const causes = validateNonnegative(spec.replicas, 'spec.replicas');
  causes.push(...validateRequiredSelector(spec.selector, 'deployment'));
  causes.push(...validateTemplateForReplicas(spec.template, spec.selector, 'ReplicaSet'));
  const strategy = spec.strategy ?? {};
  switch (strategy.type) {
    case 'Recreate':
      if (strategy.rollingUpdate)
        causes.push(
          forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"),
        );
      break;
    case 'RollingUpdate': {
      const ru = strategy.rollingUpdate;
      if (!ru) {
        causes.push(required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
        break;
      }
      const p = 'spec.strategy.rollingUpdate';
      causes.push(...validatePositiveIntOrPercent(ru.maxUnavailable, join(p, 'maxUnavailable')));
      causes.push(...validatePositiveIntOrPercent(ru.maxSurge, join(p, 'maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        causes.push(
          invalid(
            join(p, 'maxUnavailable'),
            intOrString(ru.maxUnavailable),
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
      causes.push(...isNotMoreThan100Percent(ru.maxUnavailable, join(p, 'maxUnavailable')));
      break;
    }
    default:
      causes.push(notSupported('spec.strategy', strategy, ['Recreate', 'RollingUpdate']));
  }
  causes.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  causes.push(...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    causes.push(...validateNonnegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      causes.push(
        invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  if (old) causes.push(...validateImmutableSelector(spec.selector, old.spec?.selector));
  return causes;
}

function validateReplicaSet(rs: ReplicaSet, old: ReplicaSet | undefined): FieldCause[] {
  const spec = rs.spec ?? ({} as NonNullable<ReplicaSet['spec']>);
  const causes = validateNonnegative(spec.replicas, 'spec.replicas');
  causes.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  // ValidateReplicaSetSpec reuses the Deployment wording.
  causes.push(...validateRequiredSelector(spec.selector, 'deployment'));
  causes.push(...validateTemplateForReplicas(spec.template, spec.selector, 'ReplicaSet'));
  if (old) causes.push(...validateImmutableSelector(spec.selector, old.spec?.selector));
  return causes;
}

function validateDaemonSet(ds: DaemonSet, old: DaemonSet | undefined): FieldCause[] {
  const spec = ds.spec ?? ({} as NonNullable<DaemonSet['spec']>);
  // ValidateDaemonSetSpec never requires the selector; a nil one just matches no template.
  const causes = validateLabelSelector(spec.selector, 'spec.selector');
  const matches = selectorMatches(spec.selector, spec.template?.metadata?.labels);
  if (matches === false) {
    causes.push(
      invalid(
        'spec.template.metadata.labels',
        sortedMap(spec.template?.metadata?.labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  if (
    spec.selector &&
    Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions ?? []).length === 0
  ) {
    causes.push(
      invalid('spec.selector', selectorValue(spec.selector), 'empty selector is invalid for daemonset'),
    );
  }
  causes.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  const restartPolicy = spec.template?.spec?.restartPolicy;
  if (restartPolicy !== 'Always')
    causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy ?? '', ['Always']));
  const deadline = spec.template?.spec?.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    causes.push(
      invalid(
        'spec.template.spec.activeDeadlineSeconds',
        deadline,
        'activeDeadlineSeconds in DaemonSet is not Supported',
      ),
    );
  }
  causes.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const strategy = spec.updateStrategy ?? {};
  if (strategy.type === 'RollingUpdate') {
    // ValidateRollingUpdateDaemonSet: exactly one of maxUnavailable and maxSurge is non-zero.
    const ru = strategy.rollingUpdate ?? {};
    const p = 'spec.updateStrategy.rollingUpdate';
    causes.push(...validatePositiveIntOrPercent(ru.maxUnavailable, join(p, 'maxUnavailable')));
    causes.push(...validatePositiveIntOrPercent(ru.maxSurge, join(p, 'maxSurge')));
    causes.push(...isNotMoreThan100Percent(ru.maxUnavailable, join(p, 'maxUnavailable')));
    causes.push(...isNotMoreThan100Percent(ru.maxSurge, join(p, 'maxSurge')));
    const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
    const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
    if (hasUnavailable && hasSurge)
      causes.push(
        invalid(
          join(p, 'maxSurge'),
          intOrString(ru.maxSurge),
          'may not be set when maxUnavailable is non-zero',
        ),
      );
    else if (!hasUnavailable && !hasSurge)
      causes.push(required(join(p, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
  } else if (strategy.type !== 'OnDelete') {
    causes.push(notSupported('spec.updateStrategy', strategy, ['OnDelete', 'RollingUpdate']));
  }
  causes.push(...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (old) causes.push(...validateImmutableSelector(spec.selector, old.spec?.selector));
  return causes;
}

function validateStatefulSet(sts: StatefulSet, old: StatefulSet | undefined): FieldCause[] {
  const spec = sts.spec ?? ({} as NonNullable<StatefulSet['spec']>);
  const causes: FieldCause[] = [];
  const policy = spec.podManagementPolicy ?? '';
  if (!policy) causes.push(required('spec.podManagementPolicy'));
  else if (policy !== 'OrderedReady' && policy !== 'Parallel') {
    causes.push(invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const strategy = spec.updateStrategy ?? {};
  switch (strategy.type ?? '') {
    case '':
      causes.push(required('spec.updateStrategy'));
      break;
    case 'OnDelete':
      if (strategy.rollingUpdate) {
        causes.push(
          invalid(
            'spec.updateStrategy.rollingUpdate',
            strategy.rollingUpdate,
            "only allowed for updateStrategy 'RollingUpdate'",
          ),
        );
      }
      break;
    case 'RollingUpdate':
      causes.push(
        ...validateNonnegative(
          strategy.rollingUpdate?.partition,
          'spec.updateStrategy.rollingUpdate.partition',
        ),
      );
      break;
    default:
      causes.push(invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  causes.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  causes.push(...validateRequiredSelector(spec.selector, 'statefulset'));
  const matches = spec.selector ? selectorMatches(spec.selector, spec.template?.metadata?.labels) : undefined;
  if (matches === false && !labelSelectorFromSpec(spec.selector).empty) {
    causes.push(
      invalid(
        'spec.template.metadata.labels',
        sortedMap(spec.template?.metadata?.labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  causes.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  const restartPolicy = spec.template?.spec?.restartPolicy;
  if (restartPolicy !== 'Always')
    causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy ?? '', ['Always']));
  const deadline = spec.template?.spec?.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null)
    causes.push(invalid('spec.template.spec.activeDeadlineSeconds', deadline, 'must not be specified'));
  if (old) {
    // ValidateStatefulSetUpdate: everything else in spec is fixed at creation (volumeClaimTemplates, serviceName, selector...).
    const strip = (s: Record<string, unknown> | undefined): Record<string, unknown> => {
      const copy = { ...(s ?? {}) };
      for (const k of [
        'replicas',
        'ordinals',
        'template',
        'updateStrategy',
        'revisionHistoryLimit',
        'persistentVolumeClaimRetentionPolicy',
        'minReadySeconds',
      ]) {
        delete copy[k];
      }
      return copy;
    };
    if (
      !same(
        strip(spec as unknown as Record<string, unknown>),
        strip(old.spec as unknown as Record<string, unknown> | undefined),
      )
    ) {
      causes.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return causes;
}

// ---------------------------------------------------------------------------------------------
// batch/v1

/** validateJobSpec without the selector (shared by Jobs and CronJob job templates). */
function validateJobSpecCommon(spec: JobSpec, field: string): FieldCause[] {
  const at = (name: string): string => join(field, name);
  const causes: FieldCause[] = [];
  causes.push(...validateNonnegative(spec.parallelism, at('parallelism')));
  causes.push(...validateNonnegative(spec.completions, at('completions')));
  causes.push(...validateNonnegative(spec.activeDeadlineSeconds, at('activeDeadlineSeconds')));
  causes.push(...validateNonnegative(spec.backoffLimit, at('backoffLimit')));
  causes.push(...validateNonnegative(spec.ttlSecondsAfterFinished, at('ttlSecondsAfterFinished')));
  if (spec.completionMode && spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
    causes.push(notSupported(at('completionMode'), spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  if (spec.completionMode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) {
    causes.push(required(at('completions'), 'when completion mode is Indexed'));
  }
  causes.push(...validatePodTemplateSpec(spec.template, at('template')));
  const restartPolicy = spec.template?.spec?.restartPolicy ?? '';
  const rpPath = join(join(at('template'), 'spec'), 'restartPolicy');
  // The PodSpec defaulting turns an unset policy into Always, so both read as "not given".
  if (restartPolicy === 'Always' || restartPolicy === '')
    causes.push(required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never')
    causes.push(notSupported(rpPath, restartPolicy, ['OnFailure', 'Never']));
  return causes;
}

function validateJob(job: Job & KubeObject, old: (Job & KubeObject) | undefined): FieldCause[] {
  const spec = job.spec ?? ({} as JobSpec);
  const causes: FieldCause[] = [];
  // validateGeneratedSelector, on create only: here the registry assigns the final uid after
  // validation, so an update would compare against a uid the generated labels never saw.
  if (!old && !spec.manualSelector) {
    const labels = spec.template?.metadata?.labels;
    const uid = job.metadata.uid ?? '';
    if (!labels) causes.push(required('spec.template.metadata.labels'));
    const hasLabel = (k: string, expected: string): void => {
      const p = key('spec.template.metadata.labels', k);
      if (!labels || !(k in labels)) causes.push(required(p, expected));
      else if (labels[k] !== expected) causes.push(invalid(p, sortedMap(labels), expected));
    };
    hasLabel('controller-uid', uid);
    hasLabel('job-name', job.metadata.name ?? '');
    hasLabel('batch.kubernetes.io/controller-uid', uid);
    hasLabel('batch.kubernetes.io/job-name', job.metadata.name ?? '');
    if (selectorMatches(spec.selector, { 'batch.kubernetes.io/controller-uid': uid }) === false) {
      causes.push(invalid('spec.selector', selectorValue(spec.selector), '`selector` not auto-generated'));
    }
  }
  if (!spec.selector) causes.push(required('spec.selector'));
  else causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (selectorMatches(spec.selector, spec.template?.metadata?.labels) === false) {
    causes.push(
      invalid(
        'spec.template.metadata.labels',
        sortedMap(spec.template?.metadata?.labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  causes.push(...validateJobSpecCommon(spec, 'spec'));
  if (old) {
    const oldSpec = old.spec ?? ({} as JobSpec);
    if (!same(spec.selector ?? null, oldSpec.selector ?? null))
      causes.push(invalid('spec.selector', selectorValue(spec.selector), IMMUTABLE));
    // Scheduling directives may change only while suspended and never started; everything else is fixed.
    const suspendedUnstarted = oldSpec.suspend === true && !(isObject(old.status) && old.status.startTime);
    const templateOf = (t: PodTemplateSpec | undefined): unknown => {
      if (!suspendedUnstarted || !t) return t ?? null;
      const copy = structuredClone(t) as PodTemplateSpec;
      if (copy.spec) {
        delete copy.spec.nodeSelector;
        delete copy.spec.affinity;
        delete copy.spec.tolerations;
        delete copy.spec.schedulingGates;
      }
      if (copy.metadata) {
        delete copy.metadata.labels;
        delete copy.metadata.annotations;
      }
      return copy;
    };
    if (!same(templateOf(spec.template), templateOf(oldSpec.template)))
      causes.push(invalid('spec.template', spec.template, IMMUTABLE));
    if (!same(spec.completionMode, oldSpec.completionMode))
      causes.push(invalid('spec.completionMode', spec.completionMode ?? null, IMMUTABLE));
    if (!same(spec.podFailurePolicy, oldSpec.podFailurePolicy))
      causes.push(invalid('spec.podFailurePolicy', spec.podFailurePolicy ?? null, IMMUTABLE));
    if (!same(spec.completions, oldSpec.completions) && spec.completionMode !== 'Indexed') {
      causes.push(invalid('spec.completions', spec.completions ?? null, IMMUTABLE));
    }
  }
  return causes;
}

const CRON_FIELDS: { min: number; max: number; names?: Record<string, number> }[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  {
    min: 1,
    max: 12,
    names: {
      jan: 1,
      feb: 2,
      mar: 3,
      apr: 4,
      may: 5,
      jun: 6,
      jul: 7,
      aug: 8,
      sep: 9,
      oct: 10,
      nov: 11,
      dec: 12,
    },
  },
  { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } },
];
const CRON_DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** strconv.Atoi plus robfig/cron's mustParseInt wording. */
function cronInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr))
    throw new Error(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: invalid syntax`,
    );
  const n = Number(expr);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

/** robfig/cron ParseStandard's error for a schedule, or undefined when it parses (what validateScheduleFormat reports). */
export function cronScheduleError(schedule: string): string | undefined {
  let spec = schedule;
  if (spec.length === 0) return 'empty spec string';
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ='))
    spec = spec.slice(Math.max(spec.indexOf(' '), 0)).trim();
  if (spec.startsWith('@')) {
    if (CRON_DESCRIPTORS.includes(spec)) return undefined;
    if (spec.startsWith('@every '))
      return /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))*$/.test(spec.slice(7))
        ? undefined
        : `failed to parse duration ${spec}`;
    return `unrecognized descriptor: ${spec}`;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  try {
    fields.forEach((f, i) => {
      const bounds = CRON_FIELDS[i] as (typeof CRON_FIELDS)[number];
      for (const expr of f.split(',')) {
        const rangeAndStep = expr.split('/');
        const lowAndHigh = (rangeAndStep[0] as string).split('-');
        let start: number;
        let end: number;
        const named = (s: string): number => bounds.names?.[s.toLowerCase()] ?? cronInt(s);
        if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
          start = bounds.min;
          end = bounds.max;
        } else {
          start = named(lowAndHigh[0] as string);
          if (lowAndHigh.length === 1) end = start;
          else if (lowAndHigh.length === 2) end = named(lowAndHigh[1] as string);
          else throw new Error(`too many hyphens: ${expr}`);
        }
        let step = 1;
        if (rangeAndStep.length === 2) {
          step = cronInt(rangeAndStep[1] as string);
          if (lowAndHigh.length === 1) end = bounds.max;
        } else if (rangeAndStep.length > 2) {
          throw new Error(`too many slashes: ${expr}`);
        }
        if (start < bounds.min)
          throw new Error(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
        if (end > bounds.max) throw new Error(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
        if (start > end)
          throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
        if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
      }
    });
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

function validateCronJob(cj: CronJob, old: CronJob | undefined): FieldCause[] {
  const spec = cj.spec ?? ({} as NonNullable<CronJob['spec']>);
  const causes: FieldCause[] = [];
  if (!spec.schedule) causes.push(required('spec.schedule'));
  else {
    const error = cronScheduleError(spec.schedule);
    if (error) causes.push(invalid('spec.schedule', spec.schedule, error));
    if (spec.schedule.includes('TZ') && !(old?.spec?.schedule ?? '').includes('TZ')) {
      causes.push(
        invalid(
          'spec.schedule',
          spec.schedule,
          'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
        ),
      );
    }
  }
  causes.push(...validateNonnegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  const policy = spec.concurrencyPolicy ?? '';
  if (!policy) causes.push(required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy))
    causes.push(notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  const jobSpec = spec.jobTemplate?.spec ?? ({} as JobSpec);
  causes.push(...validateJobSpecCommon(jobSpec, 'spec.jobTemplate.spec'));
  if (jobSpec.selector)
    causes.push(
      invalid(
        'spec.jobTemplate.spec.selector',
        selectorValue(jobSpec.selector),
        '`selector` will be auto-generated',
      ),
    );
  if (jobSpec.manualSelector)
    causes.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  causes.push(...validateNonnegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  causes.push(...validateNonnegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return causes;
}

// ---------------------------------------------------------------------------------------------
// policy/v1, autoscaling/v2, networking.k8s.io/v1

function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldCause[] {
  const spec = pdb.spec ?? {};
  const causes: FieldCause[] = [];
  // Neither is fine (upstream then treats the budget as minAvailable 0); both is not.
  if (
    spec.minAvailable !== undefined &&
    spec.minAvailable !== null &&
    spec.maxUnavailable !== undefined &&
    spec.maxUnavailable !== null
  ) {
    causes.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const k of ['minAvailable', 'maxUnavailable'] as const) {
    const v = spec[k];
    if (v === undefined || v === null) continue;
    causes.push(
      ...validatePositiveIntOrPercent(v, join('spec', k)),
      ...isNotMoreThan100Percent(v, join('spec', k)),
    );
  }
  causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (
    spec.unhealthyPodEvictionPolicy &&
    !['AlwaysAllow', 'IfHealthyBudget'].includes(spec.unhealthyPodEvictionPolicy)
  ) {
    causes.push(
      notSupported('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, [
        'AlwaysAllow',
        'IfHealthyBudget',
      ]),
    );
  }
  return causes;
}

function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): FieldCause[] {
  const spec = hpa.spec ?? ({} as NonNullable<HorizontalPodAutoscaler['spec']>);
  const causes: FieldCause[] = [];
  if (typeof spec.minReplicas === 'number' && spec.minReplicas < 1) {
    causes.push(invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  }
  const max = spec.maxReplicas ?? 0;
  if (max < 1) causes.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (typeof spec.minReplicas === 'number' && max < spec.minReplicas) {
    causes.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  }
  const ref = spec.scaleTargetRef ?? { kind: '', name: '' };
  for (const k of ['kind', 'name'] as const) {
    const p = join('spec.scaleTargetRef', k);
    if (!ref[k]) causes.push(required(p));
    else causes.push(...isPathSegmentName(ref[k]).map((m) => invalid(p, ref[k], m)));
  }
  return causes;
}

function validateNetworkPolicy(np: NetworkPolicy): FieldCause[] {
  const spec = np.spec ?? { podSelector: {} };
  const causes = validateLabelSelector(spec.podSelector, 'spec.podSelector');
  for (const [dir, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    const rules = (spec[dir] ?? []) as {
      ports?: { protocol?: string; port?: number | string; endPort?: number }[];
      from?: unknown[];
      to?: unknown[];
    }[];
    rules.forEach((rule, i) => {
      const p = index(join('spec', dir), i);
      (rule.ports ?? []).forEach((port, j) => {
        const pp = index(join(p, 'ports'), j);
        if (port.protocol && !PORT_PROTOCOLS.includes(port.protocol))
          causes.push(notSupported(join(pp, 'protocol'), port.protocol, PORT_PROTOCOLS));
        if (port.port !== undefined) causes.push(...validatePortNumOrName(port.port, join(pp, 'port')));
      });
      ((rule[peers] ?? []) as { podSelector?: LabelSelector; namespaceSelector?: LabelSelector }[]).forEach(
        (peer, j) => {
          const pp = index(join(p, peers), j);
          causes.push(...validateLabelSelector(peer.podSelector, join(pp, 'podSelector')));
          causes.push(...validateLabelSelector(peer.namespaceSelector, join(pp, 'namespaceSelector')));
        },
      );
    });
  }
  const types = spec.policyTypes ?? [];
  if (types.length > 2)
    causes.push(invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
  else
    types.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress')
        causes.push(notSupported(index('spec.policyTypes', i), t, ['Ingress', 'Egress']));
    });
  return causes;
}

// ---------------------------------------------------------------------------------------------

type KindValidator = (obj: KubeObject, old: KubeObject | undefined) => FieldCause[];

const KIND_VALIDATORS: Record<string, KindValidator> = {
  'v1/Service': (o, old) => validateService(o as Service, old as Service | undefined),
  'v1/Namespace': (o) => validateNamespace(o as Namespace),
  'v1/Secret': (o, old) => validateSecret(o as Secret, old as Secret | undefined),
  'v1/ConfigMap': (o, old) => validateConfigMap(o as ConfigMap, old as ConfigMap | undefined),
  'v1/Node': (o) => validateNode(o as Node),
  'apps/v1/Deployment': (o, old) => validateDeployment(o as Deployment, old as Deployment | undefined),
  'apps/v1/ReplicaSet': (o, old) => validateReplicaSet(o as ReplicaSet, old as ReplicaSet | undefined),
  'apps/v1/DaemonSet': (o, old) => validateDaemonSet(o as DaemonSet, old as DaemonSet | undefined),
  'apps/v1/StatefulSet': (o, old) => validateStatefulSet(o as StatefulSet, old as StatefulSet | undefined),
  'batch/v1/Job': (o, old) => validateJob(o as Job & KubeObject, old as (Job & KubeObject) | undefined),
  'batch/v1/CronJob': (o, old) => validateCronJob(o as CronJob, old as CronJob | undefined),
  'policy/v1/PodDisruptionBudget': (o) => validatePodDisruptionBudget(o as PodDisruptionBudget),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) =>
    validateHorizontalPodAutoscaler(o as HorizontalPodAutoscaler),
  'networking.k8s.io/v1/NetworkPolicy': (o) => validateNetworkPolicy(o as NetworkPolicy),
};

/**
 * The causes the apiserver would reject this write with (empty when valid). `old` makes it an
 * update: metadata immutability and each kind's update rules apply instead of create-only ones.
 * Expects defaults already applied, as upstream validates after decoding.
 */
export function validateObject(
  apiVersion: string,
  kind: string,
  obj: KubeObject,
  old?: KubeObject,
): FieldCause[] {
  const id = `${apiVersion}/${kind}`;
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  if (id === 'v1/Pod') return validatePod(obj as Pod & KubeObject, old as (Pod & KubeObject) | undefined);
  const namespaced = resourceForKind(apiVersion, kind)?.namespaced ?? true;
  const causes = old
    ? validateObjectMetaUpdate(meta, isObject(old.metadata) ? old.metadata : {})
    : validateObjectMeta(meta, namespaced, NAME_RULES[id] ?? nameIsDNSSubdomain);
  const validator = KIND_VALIDATORS[id];
  if (validator) causes.push(...validator(obj, old));
  return causes;
}
