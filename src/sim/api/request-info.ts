/**
 * Splits a resource URL the way the apiserver's RequestInfoFactory does:
 * /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]] and the same under /apis/{group}/{version}.
 */
export interface ResourceRequest {
  apiVersion: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  /** What follows `/proxy/` in a proxy URL (`metrics` in `pods/x:9153/proxy/metrics`), as sent. */
  subpath?: string;
}

// /api/v1/namespaces/{name}/status and /finalize are the namespace's own subresources.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseResourcePath(pathname: string): ResourceRequest | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    apiVersion = parts[1] as string;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiVersion = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2] as string)) {
      rest = rest.slice(2);
    } else {
      // The namespace object itself: /namespaces/{name}[/status|/finalize].
      return {
        apiVersion,
        plural: 'namespaces',
        name: namespace as string,
        ...(rest[2] ? { subresource: rest[2] } : {}),
      };
    }
  }
  // Connect subresources take the rest of the path as theirs: pods/{name}/proxy/{path:*}.
  if (rest.length > 3 && rest[2] === 'proxy') {
    const raw = pathname.split('/').filter((p) => p !== '');
    return {
      apiVersion,
      plural: rest[0] as string,
      ...(namespace !== undefined ? { namespace } : {}),
      name: rest[1] as string,
      subresource: 'proxy',
      subpath: raw.slice(raw.length - (rest.length - 3)).join('/'),
    };
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const [plural, name, subresource] = rest as [string, string?, string?];
  return {
    apiVersion,
    plural,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

export type ApiVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/**
 * The request's verb, as RequestInfoFactory derives it: GET/HEAD on a named object is `get` (even
 * with ?watch), on a collection `list` or, with ?watch=true|1, `watch`; DELETE on a collection is
 * `deletecollection`. Undefined for a method the API does not serve.
 */
export function requestVerb(method: string, named: boolean, query: URLSearchParams): ApiVerb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD': {
      if (named) return 'get';
      const watch = query.get('watch');
      return watch === 'true' || watch === '1' ? 'watch' : 'list';
    }
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

export type Rendering = 'json' | 'table' | 'partial-metadata';

/**
 * Content negotiation for GET: kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io`
 * first and plain JSON as fallback. The first acceptable entry wins, as in the apiserver.
 */
export function renderingFor(accept: string | undefined): Rendering {
  if (!accept) return 'json';
  for (const entry of accept.split(',')) {
    const [type, ...params] = entry.split(';').map((s) => s.trim());
    const p = new Map(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    const as = p.get('as');
    if (as === 'Table' && p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1'))
      return 'table';
    if (
      (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') &&
      p.get('g') === 'meta.k8s.io'
    ) {
      return 'partial-metadata';
    }
    if (as === undefined && (type === 'application/json' || type === '*/*' || type === 'application/*'))
      return 'json';
    if (as === undefined && (type === 'application/yaml' || type === 'application/vnd.kubernetes.protobuf'))
      return 'json';
  }
  return 'json';
}
