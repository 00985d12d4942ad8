/**
 * `GET /openapi/v2` as a gnostic `openapi_v2.Document` in protobuf, the only form kubectl up to 1.29
 * asks for (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf); without it
 * `kubectl create -f` and `apply -f` with the default --validate=strict fail.
 *
 * The document carries just what kubectl reads, like the v3 one in ../openapi.ts: per resource a
 * PATCH operation tagged with x-kubernetes-group-version-kind that declares the `fieldValidation`
 * query parameter. k8s.io/cli-runtime pkg/resource/query_param_verifier.go (supportsQueryParam)
 * looks for exactly that and then leaves validation to the server. `definitions` is empty, so
 * kubectl's client-side schema lookups find nothing and it takes strategic-merge metadata from its
 * compiled-in types.
 *
 * Field numbers follow google/gnostic-models openapiv2/OpenAPIv2.proto; only the messages and
 * fields written here are declared (oneofs as plain fields: the wire format is the same).
 */
import protobuf from 'protobufjs';
import type { INamespace } from 'protobufjs';
import { stringify } from 'yaml';
import type { ResourceType } from '../../kinds/registry.ts';
import { SERVER_VERSION } from '../discovery.ts';

/**
 * The Content-Type to answer with. kubectl asks with the `@v1.0` spelling, but `@` is not a MIME
 * token character and Go's mime.ParseMediaType in client-go rejects it in a response ("mime:
 * unexpected content after media subtype"), so the apiserver (k8s.io/kube-openapi pkg/handler,
 * subTypeProtobuf) answers with the dotted form, which it also accepts.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** Whether an Accept header asks for the protobuf document, in either spelling. */
export function acceptsOpenApiV2Protobuf(accept: string | undefined): boolean {
  return /application\/com\.github\.proto-openapi\.spec\.v2[@.]v1\.0\+protobuf/.test(accept ?? '');
}

const s = (id: number) => ({ type: 'string', id });
const m = (type: string, id: number) => ({ type, id });
const many = (type: string, id: number) => ({ type, id, rule: 'repeated' });

const DESCRIPTOR: INamespace = {
  nested: {
    openapi: {
      nested: {
        v2: {
          nested: {
            Document: {
              fields: {
                swagger: s(1),
                info: m('Info', 2),
                paths: m('Paths', 8),
                definitions: m('Definitions', 9),
              },
            },
            Info: { fields: { title: s(1), version: s(2) } },
            Paths: { fields: { path: many('NamedPathItem', 2) } },
            NamedPathItem: { fields: { name: s(1), value: m('PathItem', 2) } },
            PathItem: { fields: { patch: m('Operation', 8) } },
            Operation: {
              fields: {
                description: s(3),
                operation_id: s(5),
                produces: many('string', 6),
                consumes: many('string', 7),
                parameters: many('ParametersItem', 8),
                responses: m('Responses', 9),
                vendor_extension: many('NamedAny', 13),
              },
            },
            ParametersItem: { fields: { parameter: m('Parameter', 1) } },
            Parameter: { fields: { non_body_parameter: m('NonBodyParameter', 2) } },
            NonBodyParameter: { fields: { query_parameter_sub_schema: m('QueryParameterSubSchema', 3) } },
            QueryParameterSubSchema: {
              fields: {
                in: s(2),
                description: s(3),
                name: s(4),
                type: s(6),
                unique_items: { type: 'bool', id: 20 },
              },
            },
            Responses: { fields: { response_code: many('NamedResponseValue', 1) } },
            NamedResponseValue: { fields: { name: s(1), value: m('ResponseValue', 2) } },
            ResponseValue: { fields: { response: m('Response', 1) } },
            Response: { fields: { description: s(1) } },
            // Its one field (additional_properties = 1, NamedSchema) is never written: no schemas.
            Definitions: { fields: {} },
            NamedAny: { fields: { name: s(1), value: m('Any', 2) } },
            // `value` (google.protobuf.Any, field 1) is left out; Kubernetes extensions use `yaml`.
            Any: { fields: { yaml: s(2) } },
          },
        },
      },
    },
  },
};

/** The gnostic Document type, for encoding here and for decoding in tests. */
export const OPENAPI_V2_DOCUMENT = protobuf.Root.fromJSON(DESCRIPTOR).lookupType('openapi.v2.Document');

const PATCH_PARAMETERS: readonly [string, string, string][] = [
  ['dryRun', 'string', 'When present, indicates that modifications should not be persisted.'],
  ['fieldManager', 'string', 'The name of the actor or entity making these changes.'],
  ['fieldValidation', 'string', 'How the server treats unknown or duplicate fields: Ignore, Warn or Strict.'],
  ['force', 'boolean', 'Force apply requests: re-acquire conflicting fields owned by other managers.'],
];

const extension = (name: string, value: unknown) => ({ name, value: { yaml: stringify(value) } });

export function openApiV2Document(resources: readonly ResourceType[]): Record<string, unknown> {
  const path = resources.map((r) => {
    const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const scope = r.namespaced ? '/namespaces/{namespace}' : '';
    return {
      name: `${prefix}${scope}/${r.plural}/{name}`,
      value: {
        patch: {
          description: `partially update the specified ${r.kind}`,
          operation_id: `patch${r.kind}`,
          consumes: [
            'application/json-patch+json',
            'application/merge-patch+json',
            'application/strategic-merge-patch+json',
            'application/apply-patch+yaml',
          ],
          produces: ['application/json', 'application/yaml'],
          parameters: PATCH_PARAMETERS.map(([name, type, description]) => ({
            parameter: {
              non_body_parameter: {
                query_parameter_sub_schema: { in: 'query', description, name, type, unique_items: true },
              },
            },
          })),
          responses: { response_code: [{ name: '200', value: { response: { description: 'OK' } } }] },
          vendor_extension: [
            extension('x-kubernetes-action', 'patch'),
            extension('x-kubernetes-group-version-kind', {
              group: r.group,
              kind: r.kind,
              version: r.version,
            }),
          ],
        },
      },
    };
  });
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes (scars simulated cluster)', version: SERVER_VERSION.gitVersion.split('+')[0] },
    paths: { path },
    definitions: {},
  };
}

/** The protobuf body for `GET /openapi/v2`; depends only on `resources`, so callers may cache it. */
export function openApiV2Protobuf(resources: readonly ResourceType[]): Buffer {
  const doc = OPENAPI_V2_DOCUMENT.fromObject(openApiV2Document(resources));
  return Buffer.from(OPENAPI_V2_DOCUMENT.encode(doc).finish());
}
