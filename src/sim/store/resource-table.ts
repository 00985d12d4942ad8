/**
 * The objects of one resource, with the indexes that keep list and watch cost proportional to
 * what is selected rather than to the size of the cluster: by namespace, by `label=value`, and by
 * each field label the resource supports (spec.nodeName, involvedObject.name, …).
 */
import { fieldString, type KubeObject, objectKey } from '../object.ts';

type Index = Map<string, Set<string>>;

function addTo(index: Index, value: string, key: string): void {
  let keys = index.get(value);
  if (!keys) index.set(value, (keys = new Set()));
  keys.add(key);
}

function removeFrom(index: Index, value: string, key: string): void {
  const keys = index.get(value);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(value);
}

const EMPTY: ReadonlySet<string> = new Set();

export class ResourceTable {
  readonly objects = new Map<string, KubeObject>();
  private readonly byNamespace: Index = new Map();
  private readonly byLabel: Index = new Map();
  private readonly byField = new Map<string, Index>();
  private sorted: string[] | undefined;

  constructor(
    fieldLabels: readonly string[],
    readonly clusterScoped = false,
  ) {
    for (const label of fieldLabels) this.byField.set(label, new Map());
  }

  get size(): number {
    return this.objects.size;
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  put(obj: KubeObject): KubeObject | undefined {
    const key = objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
    const previous = this.objects.get(key);
    if (previous) this.unindex(key, previous);
    else this.sorted = undefined;
    this.objects.set(key, obj);
    this.index(key, obj);
    return previous;
  }

  remove(key: string): KubeObject | undefined {
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.unindex(key, previous);
    this.objects.delete(key);
    this.sorted = undefined;
    return previous;
  }

  /** All keys in etcd order (namespace/name), which is the order a real list returns. */
  sortedKeys(): readonly string[] {
    this.sorted ??= [...this.objects.keys()].sort();
    return this.sorted;
  }

  keysInNamespace(namespace: string): ReadonlySet<string> {
    return this.byNamespace.get(namespace) ?? EMPTY;
  }

  keysWithLabel(key: string, value: string): ReadonlySet<string> {
    return this.byLabel.get(`${key}=${value}`) ?? EMPTY;
  }

  /** undefined when the field is not indexed for this resource (metadata.name is looked up directly). */
  keysWithField(label: string, value: string): ReadonlySet<string> | undefined {
    const index = this.byField.get(label);
    return index ? (index.get(value) ?? EMPTY) : undefined;
  }

  private index(key: string, obj: KubeObject): void {
    if (obj.metadata.namespace) addTo(this.byNamespace, obj.metadata.namespace, key);
    for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) addTo(this.byLabel, `${k}=${v}`, key);
    for (const [label, index] of this.byField) addTo(index, fieldString(obj, label), key);
  }

  private unindex(key: string, obj: KubeObject): void {
    if (obj.metadata.namespace) removeFrom(this.byNamespace, obj.metadata.namespace, key);
    for (const [k, v] of Object.entries(obj.metadata.labels ?? {}))
      removeFrom(this.byLabel, `${k}=${v}`, key);
    for (const [label, index] of this.byField) removeFrom(index, fieldString(obj, label), key);
  }
}
