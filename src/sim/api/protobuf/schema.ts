/**
 * The shape of the Kubernetes message tables under ./descriptors/. A protobuf descriptor alone
 * cannot say what the JSON form of a field is: Kubernetes protobuf is gogo-generated from Go
 * structs, and the JSON encoding of the same struct follows the Go field's `json` tag (name,
 * `omitempty`, `,inline`) and type (pointer or not). Each field therefore records both the
 * wire side (number, type) from upstream `generated.proto` and the JSON side from `types.go`.
 */

/**
 * `[field number, JSON name ('' when inlined), type, flags]`.
 *
 * Types: `string`, `int32`, `int64`, `bool`, `bytes`; `map<string,V>`; the apimachinery types
 * with a JSON form of their own (`Time`, `MicroTime`, `Quantity`, `IntOrString`, `FieldsV1`);
 * otherwise the name of another message in the tables (`core.PodSpec`).
 *
 * Flags:
 * - `r` repeated.
 * - `p` a Go pointer (`*int32`): gogo writes it only when set, and JSON keeps it even when zero.
 * - `k` no `omitempty`: JSON keeps the zero value (`"port": 0`, `"ready": false`).
 * - `i` a Go embedded struct with `json:",inline"` (`Probe.ProbeHandler`, `Volume.VolumeSource`):
 *   a message of its own on the wire, its fields merged into the parent in JSON.
 */
export type FieldSpec = readonly [number: number, json: string, type: string, flags?: string];

export type MessageTable = Readonly<Record<string, readonly FieldSpec[]>>;
