/**
 * Request bodies in `application/vnd.kubernetes.protobuf`, turned into the JSON object the same
 * Go value would have marshalled to. kubectl 1.32+ sends its typed-clientset writes this way
 * (`kubectl create namespace|configmap|deployment|…`, `kubectl autoscale`).
 *
 * The body is the 4 magic bytes `k8s\0` and a runtime.Unknown (k8s.io/apimachinery
 * pkg/runtime/generated.proto) whose `typeMeta` names the kind and whose `raw` is the object's
 * message. protobufjs reads the wire format; the walk over the message tables is ours, because
 * the JSON side (omitempty, pointers, inlined structs, Time/Quantity/IntOrString encodings)
 * is not something a protobuf descriptor knows, and because a field we do not know must fail
 * loudly instead of being skipped the way generated decoders skip unknown fields.
 */
import protobuf from 'protobufjs';
import type { Reader } from 'protobufjs';
import { CORE } from './descriptors/core.ts';
import { GROUPS } from './descriptors/groups.ts';
import { META } from './descriptors/meta.ts';
import type { FieldSpec, MessageTable } from './schema.ts';

export class ProtobufError extends Error {
  override name = 'ProtobufError';
}

export const KUBERNETES_PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** apiVersion/kind → root message. DeleteOptions is registered in every group version upstream. */
const KINDS: Readonly<Record<string, string>> = {
  'v1/Namespace': 'core.Namespace',
  'v1/ConfigMap': 'core.ConfigMap',
  'v1/Secret': 'core.Secret',
  'v1/Service': 'core.Service',
  'v1/ServiceAccount': 'core.ServiceAccount',
  'v1/Pod': 'core.Pod',
  'v1/Binding': 'core.Binding',
  'v1/ResourceQuota': 'core.ResourceQuota',
  'v1/LimitRange': 'core.LimitRange',
  'v1/PersistentVolumeClaim': 'core.PersistentVolumeClaim',
  'apps/v1/Deployment': 'apps.Deployment',
  'apps/v1/ReplicaSet': 'apps.ReplicaSet',
  'apps/v1/DaemonSet': 'apps.DaemonSet',
  'apps/v1/StatefulSet': 'apps.StatefulSet',
  'batch/v1/Job': 'batch.Job',
  'batch/v1/CronJob': 'batch.CronJob',
  'policy/v1/PodDisruptionBudget': 'policy.PodDisruptionBudget',
  'policy/v1/Eviction': 'policy.Eviction',
  // policy/v1beta1 Eviction has the same fields and numbers; the eviction subresource accepts both.
  'policy/v1beta1/Eviction': 'policy.Eviction',
  'autoscaling/v1/Scale': 'autoscalingv1.Scale',
  'autoscaling/v1/HorizontalPodAutoscaler': 'autoscalingv1.HorizontalPodAutoscaler',
  'autoscaling/v2/HorizontalPodAutoscaler': 'autoscalingv2.HorizontalPodAutoscaler',
  'networking.k8s.io/v1/Ingress': 'networking.Ingress',
  'networking.k8s.io/v1/NetworkPolicy': 'networking.NetworkPolicy',
  'coordination.k8s.io/v1/Lease': 'coordination.Lease',
};

type Scalar = 'string' | 'int32' | 'int64' | 'bool' | 'bytes';
type Special = 'Time' | 'MicroTime' | 'Quantity' | 'IntOrString' | 'FieldsV1';
const SCALARS = new Set<string>(['string', 'int32', 'int64', 'bool', 'bytes']);
const SPECIALS = new Set<string>(['Time', 'MicroTime', 'Quantity', 'IntOrString', 'FieldsV1']);

interface Field {
  number: number;
  json: string;
  type: string;
  /** For `map<string,V>`: V. */
  mapValue?: string;
  repeated: boolean;
  pointer: boolean;
  keepZero: boolean;
  inline: boolean;
}

interface Message {
  name: string;
  fields: Field[];
  byNumber: Map<number, Field>;
}

function compile(tables: readonly MessageTable[]): Map<string, Message> {
  const messages = new Map<string, Message>();
  for (const table of tables) {
    for (const [name, specs] of Object.entries(table)) {
      const fields = specs.map((s: FieldSpec): Field => {
        const [number, json, type, flags = ''] = s;
        const map = /^map<string,(.+)>$/.exec(type);
        return {
          number,
          json,
          type: map ? 'map' : type,
          ...(map ? { mapValue: map[1] as string } : {}),
          repeated: flags.includes('r'),
          pointer: flags.includes('p'),
          keepZero: flags.includes('k'),
          inline: flags.includes('i'),
        };
      });
      messages.set(name, { name, fields, byNumber: new Map(fields.map((f) => [f.number, f])) });
    }
  }
  // A dangling type name is a bug in the tables; better to find it at load than on some request.
  for (const m of messages.values()) {
    for (const f of m.fields) {
      const t = f.mapValue ?? f.type;
      if (!SCALARS.has(t) && !SPECIALS.has(t) && !messages.has(t))
        throw new Error(`protobuf tables: ${m.name}.${f.json} refers to unknown ${t}`);
    }
  }
  return messages;
}

const MESSAGES = compile([META, CORE, GROUPS]);
for (const [kind, message] of Object.entries(KINDS)) {
  if (!MESSAGES.has(message)) throw new Error(`protobuf tables: ${kind} maps to unknown ${message}`);
}

/** Decodes a `application/vnd.kubernetes.protobuf` request body into its JSON form. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufError(
      'provided object is not a Kubernetes protobuf message: missing the "k8s\\0" prefix',
    );
  }
  const envelope = decodeUnknown(body.subarray(MAGIC.length));
  if (envelope.contentEncoding)
    throw new ProtobufError(`unsupported protobuf content encoding "${envelope.contentEncoding}"`);
  if (envelope.contentType && envelope.contentType !== KUBERNETES_PROTOBUF) {
    throw new ProtobufError(
      `unsupported content type "${envelope.contentType}" inside the protobuf envelope`,
    );
  }
  const { apiVersion, kind } = envelope;
  const root = kind === 'DeleteOptions' ? 'meta.DeleteOptions' : KINDS[`${apiVersion}/${kind}`];
  if (!root)
    throw new ProtobufError(
      `no protobuf decoding for ${apiVersion || '(no apiVersion)'}, Kind=${kind || '(no kind)'}`,
    );
  // Go's TypeMeta is `kind,omitempty` then `apiVersion,omitempty`.
  return {
    ...(kind ? { kind } : {}),
    ...(apiVersion ? { apiVersion } : {}),
    ...decodeMessage(message(root), envelope.raw, root),
  };
}

function message(name: string): Message {
  const m = MESSAGES.get(name);
  if (!m) throw new ProtobufError(`no protobuf message ${name}`);
  return m;
}

interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

function decodeUnknown(buf: Uint8Array): Unknown {
  const out: Unknown = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(),
    contentEncoding: '',
    contentType: '',
  };
  walk(buf, 'runtime.Unknown', (r, number, wireType) => {
    expectWire(wireType, 2, `runtime.Unknown field ${number}`);
    if (number === 1) {
      walk(r.bytes(), 'runtime.TypeMeta', (t, n, w) => {
        expectWire(w, 2, `runtime.TypeMeta field ${n}`);
        if (n === 1) out.apiVersion = t.string();
        else if (n === 2) out.kind = t.string();
        else throw unknownField('runtime.TypeMeta', n);
      });
    } else if (number === 2) out.raw = r.bytes();
    else if (number === 3) out.contentEncoding = r.string();
    else if (number === 4) out.contentType = r.string();
    else throw unknownField('runtime.Unknown', number);
  });
  return out;
}

/** Runs `field` for every tag in `buf`; protobufjs' own errors (truncation, bad varints) become ProtobufErrors. */
function walk(
  buf: Uint8Array,
  where: string,
  field: (r: Reader, number: number, wireType: number) => void,
): void {
  const r = protobuf.Reader.create(buf);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      field(r, tag >>> 3, tag & 7);
    }
  } catch (error) {
    if (error instanceof ProtobufError) throw error;
    throw new ProtobufError(
      `malformed protobuf in ${where}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function unknownField(where: string, number: number): ProtobufError {
  return new ProtobufError(`${where} has no field number ${number} in this server's protobuf tables`);
}

function expectWire(actual: number, expected: number, at: string): void {
  if (actual !== expected) throw new ProtobufError(`${at}: wire type ${actual}, expected ${expected}`);
}

type Value = unknown;

function decodeMessage(m: Message, buf: Uint8Array, path: string): Record<string, unknown> {
  const values = new Map<number, Value>();
  walk(buf, path, (r, number, wireType) => {
    const f = m.byNumber.get(number);
    if (!f) throw unknownField(`${path} (${m.name})`, number);
    const at = `${path}.${f.json || f.type}`;
    if (f.type === 'map') {
      expectWire(wireType, 2, at);
      const entry = readMapEntry(r.bytes(), f.mapValue as string, at);
      const map = (values.get(number) as Record<string, Value> | undefined) ?? {};
      map[entry[0]] = entry[1];
      values.set(number, map);
    } else if (f.repeated) {
      const list = (values.get(number) as Value[] | undefined) ?? [];
      // proto2 repeated scalars are unpacked as gogo writes them, but packed is legal on the wire.
      if (wireType === 2 && isPackable(f.type)) {
        const packed = protobuf.Reader.create(r.bytes());
        while (packed.pos < packed.len) list.push(readValue(packed, f.type, 0, at));
      } else list.push(readValue(r, f.type, wireType, `${at}[${list.length}]`));
      values.set(number, list);
    } else {
      values.set(number, readValue(r, f.type, wireType, at));
    }
  });

  const out: Record<string, unknown> = {};
  for (const f of m.fields) {
    const v = values.get(f.number);
    if (f.inline) {
      if (v !== undefined) Object.assign(out, v);
    } else if (f.type === 'map' || f.repeated) {
      // Go writes a nil slice or map without omitempty as null; both decode to nil, so omitting is equivalent.
      if (v !== undefined && (Array.isArray(v) ? v.length > 0 : Object.keys(v as object).length > 0))
        out[f.json] = v;
    } else if (MESSAGES.has(f.type) || SPECIALS.has(f.type)) {
      // gogo writes every non-pointer struct, even empty, and a pointer one only when set: presence
      // on the wire is exactly when encoding/json would have written it.
      if (v !== undefined) out[f.json] = v;
    } else if (v !== undefined) {
      if (f.pointer || f.keepZero || !isZero(v)) out[f.json] = v;
    } else if (f.keepZero) {
      out[f.json] = zeroOf(f.type as Scalar);
    }
  }
  return out;
}

function isPackable(type: string): boolean {
  return type === 'int32' || type === 'int64' || type === 'bool';
}

function readMapEntry(buf: Uint8Array, valueType: string, at: string): [string, Value] {
  let key = '';
  let value: Value;
  walk(buf, at, (r, number, wireType) => {
    if (number === 1) {
      expectWire(wireType, 2, `${at} (map key)`);
      key = r.string();
    } else if (number === 2) value = readValue(r, valueType, wireType, `${at}[${key}]`);
    else throw unknownField(`${at} (map entry)`, number);
  });
  // An entry may leave out a zero value.
  if (value === undefined)
    value = SCALARS.has(valueType)
      ? zeroOf(valueType as Scalar)
      : decodeBytes(valueType, new Uint8Array(), at);
  return [key, value];
}

function readValue(r: Reader, type: string, wireType: number, at: string): Value {
  switch (type) {
    case 'string':
      expectWire(wireType, 2, at);
      return r.string();
    case 'bytes':
      expectWire(wireType, 2, at);
      return Buffer.from(r.bytes()).toString('base64');
    case 'int32':
      expectWire(wireType, 0, at);
      return r.int32();
    case 'int64':
      expectWire(wireType, 0, at);
      return int64(r);
    case 'bool':
      expectWire(wireType, 0, at);
      return r.bool();
  }
  expectWire(wireType, 2, at);
  return decodeBytes(type, r.bytes(), at);
}

/** A length-delimited value: a message of the tables or one of the special apimachinery types. */
function decodeBytes(type: string, buf: Uint8Array, at: string): Value {
  switch (type as Special) {
    case 'Time':
      return decodeTime(buf, at, false);
    case 'MicroTime':
      return decodeTime(buf, at, true);
    case 'Quantity':
      return decodeQuantity(buf, at);
    case 'IntOrString':
      return decodeIntOrString(buf, at);
    case 'FieldsV1':
      return decodeFieldsV1(buf, at);
  }
  return decodeMessage(message(type), buf, at);
}

function int64(r: Reader): number {
  const v = r.int64() as unknown as number | { toNumber(): number };
  return typeof v === 'number' ? v : v.toNumber();
}

function isZero(v: Value): boolean {
  return v === '' || v === 0 || v === false;
}

function zeroOf(type: Scalar): Value {
  if (type === 'bool') return false;
  if (type === 'int32' || type === 'int64') return 0;
  return '';
}

/**
 * metav1.Time and MicroTime are Timestamp{seconds, nanos} on the wire; a zero time is written as
 * an empty message and marshals to JSON null (time_proto.go, time.go). Time keeps whole seconds in
 * JSON (RFC 3339), MicroTime microseconds (RFC3339Micro), both in UTC.
 */
function decodeTime(buf: Uint8Array, at: string, micro: boolean): string | null {
  if (buf.length === 0) return null;
  let seconds = 0;
  let nanos = 0;
  walk(buf, at, (r, number, wireType) => {
    expectWire(wireType, 0, `${at} field ${number}`);
    if (number === 1) seconds = int64(r);
    else if (number === 2) nanos = r.int32();
    else throw unknownField(`${at} (meta.Timestamp)`, number);
  });
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** resource.Quantity is `{string string = 1}`; its JSON form is that string. */
function decodeQuantity(buf: Uint8Array, at: string): string {
  let value = '';
  walk(buf, at, (r, number, wireType) => {
    if (number !== 1) throw unknownField(`${at} (resource.Quantity)`, number);
    expectWire(wireType, 2, `${at} field ${number}`);
    value = r.string();
  });
  return value;
}

/** intstr.IntOrString is `{type, intVal, strVal}`; JSON is the number, or the string when type is 1. */
function decodeIntOrString(buf: Uint8Array, at: string): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  walk(buf, at, (r, number, wireType) => {
    if (number === 1) {
      expectWire(wireType, 0, `${at} field ${number}`);
      type = int64(r);
    } else if (number === 2) {
      expectWire(wireType, 0, `${at} field ${number}`);
      intVal = r.int32();
    } else if (number === 3) {
      expectWire(wireType, 2, `${at} field ${number}`);
      strVal = r.string();
    } else throw unknownField(`${at} (intstr.IntOrString)`, number);
  });
  return type === 1 ? strVal : intVal;
}

/** metav1.FieldsV1 carries its JSON verbatim in `Raw` (field 1). */
function decodeFieldsV1(buf: Uint8Array, at: string): unknown {
  let raw: Uint8Array | undefined;
  walk(buf, at, (r, number, wireType) => {
    if (number !== 1) throw unknownField(`${at} (meta.FieldsV1)`, number);
    expectWire(wireType, 2, `${at} field ${number}`);
    raw = r.bytes();
  });
  if (raw === undefined || raw.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8')) as unknown;
  } catch {
    throw new ProtobufError(`${at}: fieldsV1 is not JSON`);
  }
}
