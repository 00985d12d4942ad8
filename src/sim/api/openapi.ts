/**
 * A skeletal OpenAPI v3: per group version, one PATCH operation per resource that declares the
 * `fieldValidation` query parameter. kubectl (1.27+) reads this to learn that the server
 * validates fields itself, and then sends `fieldValidation=Strict` instead of validating
 * client-side; without it `kubectl apply` refuses to run unless given --validate=false.
 * There are no schemas, so kubectl takes strategic-merge metadata from its compiled-in types
 * (the same struct tags our strategic merge follows) and `kubectl explain` is not supported.
 */
import { groupVersions } from '../kinds/registry.ts';

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

export function openApiV3Index(): unknown {
  const paths: Record<string, unknown> = {};
  for (const gv of groupVersions()) {
    const path = gvPath(gv.group, gv.version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=scars-sim` };
  }
  return { paths };
}

export function openApiV3Document(path: string): unknown {
  const gv = groupVersions().find((g) => gvPath(g.group, g.version) === path);
  if (!gv) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of gv.resources) {
    const scope = r.namespaced ? '/namespaces/{namespace}' : '';
    paths[`/${path}${scope}/${r.plural}/{name}`] = {
      patch: {
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
        parameters: [
          { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
          { name: 'force', in: 'query', schema: { type: 'boolean' } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (scars simulated cluster)', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}
