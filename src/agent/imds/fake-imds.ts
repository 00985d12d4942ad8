/**
 * A fake cloud instance-metadata service (AWS EC2 IMDS, GCP metadata server, Azure IMDS), for
 * `serve --imds` and the imdsprobe tests. It answers like the real ones closely enough for
 * SDK-style clients: the IMDSv2 token dance and its TTL validation, the metadata-header checks of
 * GCP and Azure, and a credentials document in the providers' shapes.
 *
 * The point of scenarios that use it is to find out whether a workload *can reach* credentials,
 * so the credentials are plainly fake (`ASIAFAKESCARS…`) and fresh per handler instance, and
 * nothing here talks to the network: it is a request handler that a host's `listen` serves.
 */
import type { HostClock, IncomingRequest, OutgoingResponse } from '../host.ts';

/** JSON fields of the providers' credential documents that carry secret material. */
export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  'AccessKeyId',
  'SecretAccessKey',
  'Token',
  'access_token',
]);

export interface FakeImdsOptions {
  clock: HostClock;
  /** The IAM role (AWS) the instance profile carries; default `scars-fake-role`. */
  role?: string;
  /** IMDSv2 only (`HttpTokens: required`): metadata GETs without a valid token get 401. */
  requireToken?: boolean;
}

export type FakeImdsHandler = (request: IncomingRequest) => Promise<OutgoingResponse | undefined>;

/** AWS bounds for `x-aws-ec2-metadata-token-ttl-seconds`. */
const TOKEN_TTL_MIN_S = 1;
const TOKEN_TTL_MAX_S = 21_600;
/** AWS rotates role credentials well before they expire; SDKs refresh ahead of `Expiration`. */
const AWS_ROTATE_MS = 60 * 60 * 1000;
const AWS_CREDENTIAL_LIFETIME_MS = 6 * 60 * 60 * 1000;
const GCP_TOKEN_LIFETIME_S = 3599;
const AZURE_TOKEN_LIFETIME_S = 86_399;

const ACCOUNT_ID = '000000000000';
const REGION = 'us-east-1';

/** Random characters from `alphabet` (Web Crypto, so the handler also runs inside the sim). */
function randomString(length: number, alphabet: string): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length));
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64ISH = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789abcdef';

/** Seconds-resolution ISO time, as AWS writes it (`2024-01-01T00:00:00Z`). */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function text(status: number, body: string, headers: Record<string, string> = {}): OutgoingResponse {
  return { status, headers: { 'content-type': 'text/plain', ...headers }, body };
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): OutgoingResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  };
}

function header(request: IncomingRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(request.headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** Splits `/a/b?x=1` into the path and its query parameters. */
function splitPath(raw: string): { path: string; query: URLSearchParams } {
  const q = raw.indexOf('?');
  return q < 0
    ? { path: raw, query: new URLSearchParams() }
    : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

export function createFakeImds(options: FakeImdsOptions): FakeImdsHandler {
  const { clock } = options;
  const role = options.role ?? 'scars-fake-role';
  const startedAt = clock.now();

  // Per-instance identity and secrets: two fake instances never share credentials.
  const instanceId = `i-0${randomString(16, HEX)}`;
  const accessKeyId = `ASIAFAKESCARS${randomString(7, UPPER_DIGITS)}`;
  const secretAccessKey = `fake/scars/${randomString(29, BASE64ISH)}`;
  const sessionToken = `FAKE-SCARS-SESSION-TOKEN-${randomString(96, BASE64ISH)}`;
  const gcpAccessToken = `ya29.FAKE-SCARS-${randomString(64, BASE64ISH.slice(0, 62))}`;
  const azureAccessToken = `eyFAKE.SCARS.${randomString(64, BASE64ISH.slice(0, 62))}`;
  const gcpEmail = `${ACCOUNT_ID}-compute@developer.gserviceaccount.com`;

  /** IMDSv2 session tokens and when each stops being valid. */
  const tokens = new Map<string, number>();

  function validToken(request: IncomingRequest): 'valid' | 'invalid' | 'absent' {
    const token = header(request, 'x-aws-ec2-metadata-token');
    if (token === undefined) return 'absent';
    const expiresAt = tokens.get(token);
    if (expiresAt === undefined) return 'invalid';
    if (clock.now() >= expiresAt) {
      tokens.delete(token);
      return 'invalid';
    }
    return 'valid';
  }

  function issueToken(request: IncomingRequest): OutgoingResponse {
    // Real IMDS refuses token requests that went through a proxy, so an open proxy cannot mint one.
    if (header(request, 'x-forwarded-for') !== undefined) return text(403, 'Forbidden');
    const raw = header(request, 'x-aws-ec2-metadata-token-ttl-seconds');
    const ttl = raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!(ttl >= TOKEN_TTL_MIN_S && ttl <= TOKEN_TTL_MAX_S)) return text(400, 'Bad Request');
    const now = clock.now();
    for (const [t, expiresAt] of tokens) if (now >= expiresAt) tokens.delete(t);
    const token = randomString(56, BASE64ISH.slice(0, 62));
    tokens.set(token, now + ttl * 1000);
    return text(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
  }

  /** The current credential window: LastUpdated moves hourly, Expiration is six hours later. */
  function awsCredentials(): Record<string, string> {
    const now = clock.now();
    const lastUpdated = startedAt + Math.floor((now - startedAt) / AWS_ROTATE_MS) * AWS_ROTATE_MS;
    return {
      Code: 'Success',
      LastUpdated: isoSeconds(lastUpdated),
      Type: 'AWS-HMAC',
      AccessKeyId: accessKeyId,
      SecretAccessKey: secretAccessKey,
      Token: sessionToken,
      Expiration: isoSeconds(lastUpdated + AWS_CREDENTIAL_LIFETIME_MS),
    };
  }

  /** GET under /latest/meta-data/ (v1 or v2) after the token check. */
  function awsMetadata(path: string): OutgoingResponse {
    const rest = path.slice('/latest/meta-data'.length);
    switch (rest) {
      case '':
      case '/':
        return text(
          200,
          [
            'ami-id',
            'hostname',
            'iam/',
            'instance-id',
            'instance-type',
            'local-hostname',
            'local-ipv4',
            'placement/',
          ].join('\n'),
        );
      case '/ami-id':
        return text(200, 'ami-0fa4e5c0de0fa4e5c');
      case '/instance-id':
        return text(200, instanceId);
      case '/instance-type':
        return text(200, 't3.micro');
      case '/hostname':
      case '/local-hostname':
        return text(200, 'ip-10-0-0-10.ec2.internal');
      case '/local-ipv4':
        return text(200, '10.0.0.10');
      case '/placement':
      case '/placement/':
        return text(200, 'availability-zone\nregion');
      case '/placement/availability-zone':
        return text(200, `${REGION}a`);
      case '/placement/region':
        return text(200, REGION);
      case '/iam':
      case '/iam/':
        return text(200, 'info\nsecurity-credentials/');
      case '/iam/info':
        return json(200, {
          Code: 'Success',
          LastUpdated: isoSeconds(startedAt),
          InstanceProfileArn: `arn:aws:iam::${ACCOUNT_ID}:instance-profile/${role}`,
          InstanceProfileId: 'AIPAFAKESCARSPROFILE0',
        });
      case '/iam/security-credentials':
      case '/iam/security-credentials/':
        return text(200, role);
      case `/iam/security-credentials/${role}`:
      case `/iam/security-credentials/${role}/`:
        return json(200, awsCredentials());
      default:
        return text(404, 'Not Found');
    }
  }

  function aws(request: IncomingRequest, path: string): OutgoingResponse {
    if (path === '/latest/api/token') {
      return request.method === 'PUT' ? issueToken(request) : text(405, 'Method Not Allowed');
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method Not Allowed');
    const token = validToken(request);
    // A bad token is refused even when v1 is allowed; no token is refused only in v2-only mode.
    if (token === 'invalid' || (token === 'absent' && options.requireToken)) {
      return text(401, 'Unauthorized');
    }
    if (path === '/latest/meta-data' || path.startsWith('/latest/meta-data/')) return awsMetadata(path);
    if (path === '/latest/dynamic/instance-identity/document') {
      return json(200, {
        accountId: ACCOUNT_ID,
        architecture: 'x86_64',
        availabilityZone: `${REGION}a`,
        imageId: 'ami-0fa4e5c0de0fa4e5c',
        instanceId,
        instanceType: 't3.micro',
        pendingTime: isoSeconds(startedAt),
        privateIp: '10.0.0.10',
        region: REGION,
        version: '2017-09-30',
      });
    }
    return text(404, 'Not Found');
  }

  function gcp(request: IncomingRequest, path: string): OutgoingResponse {
    const flavor = { 'metadata-flavor': 'Google' };
    // The metadata server insists on the header (so a redirected browser request cannot read it)
    // and rejects requests that carry X-Forwarded-For (so a proxy cannot relay one).
    if (header(request, 'metadata-flavor') !== 'Google' || header(request, 'x-forwarded-for') !== undefined) {
      return text(403, 'Missing Metadata-Flavor:Google header.', flavor);
    }
    if (request.method !== 'GET') return text(405, 'Method Not Allowed', flavor);
    const sa = '/computeMetadata/v1/instance/service-accounts/default';
    switch (path) {
      case '/computeMetadata/v1/instance/id':
        return text(200, '4520031799277581759', flavor);
      case '/computeMetadata/v1/project/project-id':
        return text(200, 'scars-fake-project', flavor);
      case `${sa}/email`:
        return text(200, gcpEmail, flavor);
      case `${sa}/scopes`:
        return text(200, 'https://www.googleapis.com/auth/cloud-platform', flavor);
      case `${sa}/token`:
        return json(
          200,
          { access_token: gcpAccessToken, expires_in: GCP_TOKEN_LIFETIME_S, token_type: 'Bearer' },
          flavor,
        );
      default:
        return text(404, 'Not Found', flavor);
    }
  }

  function azure(request: IncomingRequest, path: string, query: URLSearchParams): OutgoingResponse {
    if (header(request, 'metadata')?.toLowerCase() !== 'true') {
      return json(400, {
        error: 'invalid_request',
        error_description: 'Required metadata header not specified',
      });
    }
    if (!query.get('api-version')) {
      return json(400, { error: 'Bad request', error_description: 'api-version is required' });
    }
    if (path === '/metadata/identity/oauth2/token') {
      const resource = query.get('resource');
      if (!resource) {
        return json(400, {
          error: 'invalid_request',
          error_description: 'Required query variable resource is missing',
        });
      }
      const nowS = Math.floor(clock.now() / 1000);
      // Azure writes these numbers as strings.
      return json(200, {
        access_token: azureAccessToken,
        client_id: '00000000-0000-0000-0000-00000005ca45',
        expires_in: String(AZURE_TOKEN_LIFETIME_S),
        expires_on: String(nowS + AZURE_TOKEN_LIFETIME_S),
        ext_expires_in: String(AZURE_TOKEN_LIFETIME_S),
        not_before: String(nowS),
        resource,
        token_type: 'Bearer',
      });
    }
    if (path === '/metadata/instance' || path === '/metadata/instance/') {
      return json(200, {
        compute: {
          location: 'eastus',
          name: 'scars-fake-vm',
          vmId: '00000000-0000-0000-0000-0000005ca450',
          vmSize: 'Standard_B1s',
        },
      });
    }
    return json(404, { error: 'Not found' });
  }

  return (request) => {
    const { path, query } = splitPath(request.path);
    if (path === '/latest' || path.startsWith('/latest/')) return Promise.resolve(aws(request, path));
    if (path === '/computeMetadata' || path.startsWith('/computeMetadata/')) {
      return Promise.resolve(gcp(request, path));
    }
    if (path === '/metadata' || path.startsWith('/metadata/')) {
      return Promise.resolve(azure(request, path, query));
    }
    return Promise.resolve(undefined);
  };
}
