/**
 * imdsprobe against the fake IMDS on 127.0.0.1 (reachable), a closed port (blocked) and a server
 * that never answers (timeout), plus the fake IMDS handler on its own. Loopback only: every host
 * here is RealHost with `loopbackOnly`, and the spawned CLI runs with SCARS_AGENT_LOOPBACK_ONLY=1.
 */
import { type Server, type Socket, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Host,
  HostClock,
  HostNetwork,
  IncomingRequest,
  Listener,
  OutgoingResponse,
} from '../../src/agent/host.ts';
import { loopbackOnly } from '../../src/agent/host/loopback-guard.ts';
import { RealHost } from '../../src/agent/host/real.ts';
import { CREDENTIAL_FIELDS, createFakeImds } from '../../src/agent/imds/fake-imds.ts';
import type {
  ImdsAttemptEvent,
  ImdsResultEvent,
  ImdsSummary,
  ImdsprobeEvent,
} from '../../src/agent/modes/imdsprobe.ts';
import { type AgentLine, parseAgentLog } from '../../src/agent/output.ts';
import { runAgent } from '../../src/agent/run.ts';
import { spawnAgent } from '../support/real-agent.ts';

const ROLE = 'scars-test-role-do-not-print';

// ---------------------------------------------------------------------------------------------
// Helpers

interface Run {
  code: number;
  /** Everything written to stdout and stderr, for the secret grep. */
  raw: string;
  lines: AgentLine<ImdsprobeEvent>[];
  attempts: ImdsAttemptEvent[];
  results: ImdsResultEvent[];
  summary: ImdsSummary;
}

function collect(code: number, raw: string): Run {
  const lines = parseAgentLog(raw) as AgentLine<ImdsprobeEvent>[];
  const summaries = lines.filter((l): l is AgentLine<ImdsSummary> => l.event === 'summary');
  expect(summaries).toHaveLength(1);
  return {
    code,
    raw,
    lines,
    attempts: lines.filter((l): l is AgentLine<ImdsAttemptEvent> => l.event === 'attempt'),
    results: lines.filter((l): l is AgentLine<ImdsResultEvent> => l.event === 'result'),
    summary: summaries[0] as ImdsSummary,
  };
}

async function probeOn(host: Host, raw: { text: string }, args: string[]): Promise<Run> {
  const code = await runAgent(['imdsprobe', ...args], host);
  return collect(code, raw.text);
}

function loopbackHost(): { host: RealHost; raw: { text: string } } {
  const raw = { text: '' };
  const host = new RealHost({
    loopbackOnly: true,
    stdout: (line) => (raw.text += `${line}\n`),
    stderr: (line) => (raw.text += `${line}\n`),
  });
  return { host, raw };
}

function probe(args: string[]): Promise<Run> {
  const { host, raw } = loopbackHost();
  return probeOn(host, raw, args);
}

/**
 * A fake IMDS served on 127.0.0.1 that remembers every secret it handed out (credentials and
 * IMDSv2 session tokens), so the tests can grep the probe's output for all of them.
 */
async function startFakeImds(options: { requireToken?: boolean } = {}) {
  const host = new RealHost({ loopbackOnly: true });
  const fake = createFakeImds({ clock: host.clock, role: ROLE, ...options });
  const secrets = new Set<string>([ROLE]);
  const requests: IncomingRequest[] = [];
  const listener = await host.net.listen({ port: 0, address: '127.0.0.1' }, async (request) => {
    requests.push(request);
    const res = (await fake(request)) ?? { status: 404, body: 'not found' };
    const body = typeof res.body === 'string' ? res.body : new TextDecoder().decode(res.body);
    if (request.path === '/latest/api/token' && res.status === 200) secrets.add(body);
    for (const value of credentialValues(body)) secrets.add(value);
    return res;
  });
  return { listener, secrets, requests, endpoint: `http://127.0.0.1:${listener.port}` };
}

function credentialValues(body: string): string[] {
  try {
    const doc = JSON.parse(body) as Record<string, unknown>;
    return Object.entries(doc)
      .filter(([k, v]) => CREDENTIAL_FIELDS.has(k) && typeof v === 'string')
      .map(([, v]) => v as string);
  } catch {
    return [];
  }
}

function expectNoSecrets(raw: string, secrets: Set<string>): void {
  expect(secrets.size).toBeGreaterThan(1);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    if (raw.includes(secret)) throw new Error(`probe output contains a secret (${secret.slice(0, 6)}…)`);
  }
  expect(raw).not.toMatch(/ASIAFAKESCARS|ya29\.|FAKE-SCARS-SESSION|fake\/scars\//);
}

/** A port on 127.0.0.1 with nothing listening: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that accepts and never answers (a dropping firewall, or a hop limit eating replies). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A clock the unit tests move by hand. */
function manualClock(start = Date.UTC(2025, 0, 1)): HostClock & { advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    sleep: () => Promise.resolve(),
    advance: (ms) => {
      t += ms;
    },
  };
}

function req(method: string, path: string, headers: Record<string, string> = {}): IncomingRequest {
  return { method, path, headers, body: '', remoteAddress: '127.0.0.1' };
}

function bodyText(res: OutgoingResponse | undefined): string {
  if (!res?.body) return '';
  return typeof res.body === 'string' ? res.body : new TextDecoder().decode(res.body);
}

// ---------------------------------------------------------------------------------------------
// The fake IMDS handler on its own

describe('fake IMDS handler', () => {
  const TTL = 'x-aws-ec2-metadata-token-ttl-seconds';

  it('validates the IMDSv2 token TTL (1-21600)', async () => {
    const imds = createFakeImds({ clock: manualClock() });
    for (const bad of [undefined, '', '0', '21601', '-1', 'abc', '1.5']) {
      const headers: Record<string, string> = bad === undefined ? {} : { [TTL]: bad };
      expect((await imds(req('PUT', '/latest/api/token', headers)))?.status, `ttl ${bad}`).toBe(400);
    }
    for (const good of ['1', '21600', '300']) {
      const res = await imds(req('PUT', '/latest/api/token', { [TTL]: good }));
      expect(res?.status).toBe(200);
      expect(bodyText(res).length).toBeGreaterThan(20);
      expect(res?.headers?.[TTL]).toBe(good);
    }
    expect((await imds(req('GET', '/latest/api/token', { [TTL]: '60' })))?.status).toBe(405);
    // A proxied token request is refused, as on EC2.
    expect(
      (await imds(req('PUT', '/latest/api/token', { [TTL]: '60', 'x-forwarded-for': '10.0.0.1' })))?.status,
    ).toBe(403);
  });

  it('accepts v1 and v2 by default, refuses a bad or expired token, and v1 in token-required mode', async () => {
    const clock = manualClock();
    const open = createFakeImds({ clock, role: ROLE });
    const strict = createFakeImds({ clock, role: ROLE, requireToken: true });
    const path = '/latest/meta-data/iam/security-credentials/';

    expect(bodyText(await open(req('GET', path)))).toBe(ROLE);
    expect((await open(req('GET', path, { 'x-aws-ec2-metadata-token': 'forged' })))?.status).toBe(401);
    expect((await strict(req('GET', path)))?.status).toBe(401);

    const token = bodyText(await strict(req('PUT', '/latest/api/token', { [TTL]: '60' })));
    const withToken = { 'x-aws-ec2-metadata-token': token };
    expect(bodyText(await strict(req('GET', path, withToken)))).toBe(ROLE);
    // Tokens are per instance.
    expect((await open(req('GET', path, withToken)))?.status).toBe(401);
    clock.advance(60_000);
    expect((await strict(req('GET', path, withToken)))?.status).toBe(401);
  });

  it('serves role credentials in the AWS shape, fake and fresh per instance', async () => {
    const clock = manualClock();
    const a = createFakeImds({ clock, role: ROLE });
    const b = createFakeImds({ clock });
    const credsA = JSON.parse(
      bodyText(await a(req('GET', `/latest/meta-data/iam/security-credentials/${ROLE}`))),
    ) as Record<string, string>;
    expect(credsA).toMatchObject({ Code: 'Success', Type: 'AWS-HMAC' });
    expect(credsA.AccessKeyId).toMatch(/^ASIAFAKESCARS[A-Z2-7]{7}$/);
    expect(credsA.SecretAccessKey).toBeTruthy();
    expect(credsA.Token).toBeTruthy();
    expect(Date.parse(credsA.Expiration as string)).toBeGreaterThan(clock.now());
    expect(Date.parse(credsA.LastUpdated as string)).toBeLessThanOrEqual(clock.now());

    expect(bodyText(await b(req('GET', '/latest/meta-data/iam/security-credentials/')))).toBe(
      'scars-fake-role',
    );
    const credsB = JSON.parse(
      bodyText(await b(req('GET', '/latest/meta-data/iam/security-credentials/scars-fake-role'))),
    ) as Record<string, string>;
    expect(credsB.AccessKeyId).not.toBe(credsA.AccessKeyId);
    expect(credsB.SecretAccessKey).not.toBe(credsA.SecretAccessKey);

    // Another role is not there; neither is a path nobody serves.
    expect((await a(req('GET', '/latest/meta-data/iam/security-credentials/other')))?.status).toBe(404);
    expect(bodyText(await a(req('GET', '/latest/meta-data/instance-id')))).toMatch(/^i-0[0-9a-f]{16}$/);
    expect(JSON.parse(bodyText(await a(req('GET', '/latest/meta-data/iam/info'))))).toMatchObject({
      Code: 'Success',
      InstanceProfileArn: expect.stringContaining(ROLE) as unknown,
    });

    // Hours later the credential window has moved on and Expiration is still ahead.
    clock.advance(10 * 3600_000);
    const later = JSON.parse(
      bodyText(await a(req('GET', `/latest/meta-data/iam/security-credentials/${ROLE}`))),
    ) as Record<string, string>;
    expect(Date.parse(later.Expiration as string)).toBeGreaterThan(clock.now());
  });

  it('leaves paths it does not own to the caller', async () => {
    const imds = createFakeImds({ clock: manualClock() });
    expect(await imds(req('GET', '/healthz'))).toBeUndefined();
    expect(await imds(req('GET', '/'))).toBeUndefined();
    expect(await imds(req('GET', '/latestnews'))).toBeUndefined();
    expect((await imds(req('GET', '/latest/meta-data/nope')))?.status).toBe(404);
  });

  it('GCP wants Metadata-Flavor: Google', async () => {
    const imds = createFakeImds({ clock: manualClock() });
    const path = '/computeMetadata/v1/instance/service-accounts/default/token';
    expect((await imds(req('GET', path)))?.status).toBe(403);
    expect((await imds(req('GET', path, { 'metadata-flavor': 'google-ish' })))?.status).toBe(403);
    const res = await imds(req('GET', path, { 'metadata-flavor': 'Google' }));
    expect(res?.status).toBe(200);
    expect(res?.headers?.['metadata-flavor']).toBe('Google');
    expect(JSON.parse(bodyText(res))).toMatchObject({
      access_token: expect.stringMatching(/^ya29\.FAKE-SCARS-/) as unknown,
      expires_in: 3599,
      token_type: 'Bearer',
    });
  });

  it('Azure wants Metadata: true, an api-version and a resource', async () => {
    const imds = createFakeImds({ clock: manualClock() });
    const path =
      '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F';
    expect((await imds(req('GET', path)))?.status).toBe(400);
    expect(
      (await imds(req('GET', '/metadata/identity/oauth2/token?api-version=2018-02-01', { metadata: 'true' })))
        ?.status,
    ).toBe(400);
    expect(
      (await imds(req('GET', '/metadata/identity/oauth2/token?resource=x', { metadata: 'true' })))?.status,
    ).toBe(400);
    const res = await imds(req('GET', path, { metadata: 'true' }));
    expect(res?.status).toBe(200);
    expect(JSON.parse(bodyText(res))).toMatchObject({
      access_token: expect.any(String) as unknown,
      resource: 'https://management.azure.com/',
      token_type: 'Bearer',
      expires_in: '86399',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// imdsprobe against the fake on loopback

describe('imdsprobe (real host, loopback only)', () => {
  let open: Awaited<ReturnType<typeof startFakeImds>>;
  let strict: Awaited<ReturnType<typeof startFakeImds>>;
  const listeners: Listener[] = [];

  beforeAll(async () => {
    open = await startFakeImds();
    strict = await startFakeImds({ requireToken: true });
    listeners.push(open.listener, strict.listener);
  });
  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.close()));
  });

  it('reaches the fake over IMDSv2 then IMDSv1 and counts credential bytes without printing them', async () => {
    const run = await probe(['--endpoint', open.endpoint, '--expect', 'reachable']);
    expect(run.code).toBe(0);
    expect(run.attempts.map((a) => [a.imdsVersion, a.method, a.path, a.status])).toEqual([
      ['v2', 'PUT', '/latest/api/token', 200],
      ['v2', 'GET', '/latest/meta-data/iam/security-credentials/', 200],
      ['v2', 'GET', '/latest/meta-data/iam/security-credentials/{role}', 200],
      ['v1', 'GET', '/latest/meta-data/iam/security-credentials/', 200],
      ['v1', 'GET', '/latest/meta-data/iam/security-credentials/{role}', 200],
    ]);
    expect(run.attempts.every((a) => a.outcome === 'reachable' && a.provider === 'aws')).toBe(true);
    // The v2 requests really carried the token the fake issued; the v1 ones none.
    const credentialRequests = open.requests.filter((r) => r.path.endsWith(ROLE)).slice(-2);
    expect(credentialRequests[0]?.headers['x-aws-ec2-metadata-token']).toBeTruthy();
    expect(credentialRequests[1]?.headers['x-aws-ec2-metadata-token']).toBeUndefined();

    for (const a of run.attempts) expect(a.latencyMs).toBeGreaterThanOrEqual(0);

    // Exactly the bytes of AccessKeyId + SecretAccessKey + Token, twice (v2 and v1).
    const creds = JSON.parse(
      bodyText(await fetchFromFake(open.endpoint, `/latest/meta-data/iam/security-credentials/${ROLE}`)),
    ) as Record<string, string>;
    const perFetch = ['AccessKeyId', 'SecretAccessKey', 'Token']
      .map((k) => (creds[k] as string).length)
      .reduce((x, y) => x + y, 0);
    expect(run.results).toEqual([
      expect.objectContaining({
        round: 1,
        outcome: 'reachable',
        credentialsReturned: true,
        credentialBytes: 2 * perFetch,
        roleFound: true,
        attempts: 5,
      }),
    ]);
    expect(run.summary).toMatchObject({
      exitCode: 0,
      stoppedBy: 'count',
      rounds: 1,
      outcomes: { reachable: 1 },
      attemptOutcomes: { reachable: 5 },
      credentialsReturned: true,
      credentialBytes: 2 * perFetch,
      roleFound: true,
    });
    expect(run.summary.firstReachableAtMs).toBeGreaterThanOrEqual(0);
    expect(run.summary.firstCredentialsAtMs).toBeGreaterThanOrEqual(run.summary.firstReachableAtMs as number);

    expectNoSecrets(run.raw, open.secrets);
  });

  it('never prints a secret, whatever the provider or verdict', async () => {
    const runs = await Promise.all([
      probe(['--endpoint', open.endpoint, '--provider', 'all', '--count', '2', '--interval', '20ms']),
      probe(['--endpoint', open.endpoint, '--provider', 'all', '--expect', 'blocked']),
      probe(['--endpoint', open.endpoint, '--imds-version', 'v2']),
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 1, 0]);
    for (const run of runs) {
      expect(run.summary.credentialsReturned).toBe(true);
      expectNoSecrets(run.raw, open.secrets);
    }
    // The grep itself bites: output that did carry a credential fails it.
    const leaked = [...open.secrets].find((v) => v.startsWith('ASIAFAKESCARS')) as string;
    expect(() => expectNoSecrets(`{"AccessKeyId":"${leaked}"}`, open.secrets)).toThrow(/secret/);
    // Every secret the fake handed out went to one of these probes, and none came back out.
    expect([...open.secrets].some((s) => s.startsWith('ya29.'))).toBe(true);
    expect([...open.secrets].some((s) => s.startsWith('ASIAFAKESCARS'))).toBe(true);
  });

  it('IMDSv2-only: v1 is reachable but gets 401 and no credentials; v2 still gets them', async () => {
    const v1 = await probe(['--endpoint', strict.endpoint, '--imds-version', 'v1', '--expect', 'reachable']);
    expect(v1.code).toBe(1);
    expect(v1.attempts).toEqual([
      expect.objectContaining({
        imdsVersion: 'v1',
        path: '/latest/meta-data/iam/security-credentials/',
        outcome: 'reachable',
        status: 401,
      }),
    ]);
    expect(v1.results[0]).toMatchObject({
      outcome: 'reachable',
      credentialsReturned: false,
      credentialBytes: 0,
      roleFound: false,
    });
    expect(v1.summary).toMatchObject({ exitCode: 1, credentialsReturned: false });

    // "blocked" means nothing answers: a 401 is still an answer.
    const blocked = await probe([
      '--endpoint',
      strict.endpoint,
      '--imds-version',
      'v1',
      '--expect',
      'blocked',
    ]);
    expect(blocked.code).toBe(1);

    const both = await probe(['--endpoint', strict.endpoint, '--expect', 'reachable']);
    expect(both.code).toBe(0);
    expect(both.attempts.map((a) => `${a.imdsVersion} ${a.status}`)).toEqual([
      'v2 200',
      'v2 200',
      'v2 200',
      'v1 401',
    ]);
    expectNoSecrets(both.raw, strict.secrets);
  });

  it('GCP and Azure paths send the metadata headers and get tokens', async () => {
    const before = open.requests.length;
    const run = await probe(['--endpoint', open.endpoint, '--provider', 'all', '--imds-version', 'v1']);
    expect(run.attempts.map((a) => [a.provider, a.status, a.credentialBytes !== undefined])).toEqual([
      ['aws', 200, false],
      ['aws', 200, true],
      ['gcp', 200, true],
      ['azure', 200, true],
    ]);
    const sent = open.requests.slice(before);
    expect(sent.find((r) => r.path.startsWith('/computeMetadata/'))?.headers['metadata-flavor']).toBe(
      'Google',
    );
    const azure = sent.find((r) => r.path.startsWith('/metadata/'));
    expect(azure?.headers.metadata).toBe('true');
    expect(azure?.path).toMatch(/api-version=.*resource=/);

    const gcpOnly = await probe(['--endpoint', open.endpoint, '--provider', 'gcp', '--expect', 'reachable']);
    expect(gcpOnly.code).toBe(0);
    expect(gcpOnly.attempts.map((a) => a.path)).toEqual([
      '/computeMetadata/v1/instance/service-accounts/default/token',
    ]);
    expectNoSecrets(run.raw + gcpOnly.raw, open.secrets);
  });

  it('a closed port is blocked (ECONNREFUSED)', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const wantReachable = await probe(['--endpoint', endpoint, '--expect', 'reachable']);
    expect(wantReachable.code).toBe(1);
    expect(wantReachable.attempts.map((a) => [a.imdsVersion, a.outcome, a.error])).toEqual([
      ['v2', 'blocked', 'ECONNREFUSED'],
      ['v1', 'blocked', 'ECONNREFUSED'],
    ]);
    expect(wantReachable.results[0]).toMatchObject({ outcome: 'blocked', credentialsReturned: false });
    expect(wantReachable.summary).toMatchObject({
      outcomes: { blocked: 1 },
      attemptOutcomes: { blocked: 2 },
      firstReachableAtMs: null,
      credentialsReturned: false,
      credentialBytes: 0,
    });
    // Error messages quote URLs (with the role name in them); the probe prints codes only.
    expect(wantReachable.attempts.every((a) => !('message' in a))).toBe(true);

    const wantBlocked = await probe(['--endpoint', endpoint, '--provider', 'all', '--expect', 'blocked']);
    expect(wantBlocked.code).toBe(0);
    expect(wantBlocked.attempts.map((a) => a.provider)).toEqual(['aws', 'aws', 'gcp', 'azure']);
    expect(wantBlocked.summary).toMatchObject({ exitCode: 0, attemptOutcomes: { blocked: 4 } });
  });

  it('a server that accepts and never answers is a timeout', async () => {
    const silent = await silentServer();
    try {
      const run = await probe([
        '--endpoint',
        `http://127.0.0.1:${silent.port}`,
        '--timeout',
        '200ms',
        '--expect',
        'blocked',
      ]);
      expect(run.attempts.map((a) => [a.outcome, a.error])).toEqual([
        ['timeout', 'ETIMEDOUT'],
        ['timeout', 'ETIMEDOUT'],
      ]);
      for (const a of run.attempts) expect(a.latencyMs).toBeGreaterThanOrEqual(150);
      expect(run.results[0]?.outcome).toBe('timeout');
      // Nothing answered and no credentials: as blocked as it gets from inside the pod.
      expect(run.code).toBe(0);
      expect(run.summary.firstReachableAtMs).toBeNull();
    } finally {
      await silent.close();
    }
  });

  it('repeats rounds with --count and --interval', async () => {
    const run = await probe([
      '--endpoint',
      open.endpoint,
      '--imds-version',
      'v2',
      '--count',
      '3',
      '--interval',
      '50ms',
      '--expect',
      'reachable',
    ]);
    expect(run.code).toBe(0);
    expect(run.results.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(run.results.every((r) => r.credentialsReturned)).toBe(true);
    expect(run.attempts).toHaveLength(9);
    expect(run.summary).toMatchObject({
      rounds: 3,
      roundsWithCredentials: 3,
      outcomes: { reachable: 3 },
      stoppedBy: 'count',
    });
    // Rounds are paced: the third starts two intervals after pacing began (a little slack for timers).
    expect(run.results[2]?.atMs).toBeGreaterThanOrEqual(95);
    expectNoSecrets(run.raw, open.secrets);
  });

  it('--duration bounds the run, and SIGTERM ends it promptly with a summary', async () => {
    const timed = await probe(['--endpoint', open.endpoint, '--duration', '120ms', '--interval', '50ms']);
    expect(timed.summary.stoppedBy).toBe('duration');
    expect(timed.summary.rounds).toBeGreaterThanOrEqual(1);
    expect(timed.summary.rounds).toBeLessThanOrEqual(3);

    const stop = new AbortController();
    const raw = { text: '' };
    const host = new RealHost({
      loopbackOnly: true,
      terminated: stop.signal,
      stdout: (line) => {
        raw.text += `${line}\n`;
        if (line.includes('"event":"result"')) stop.abort(new Error('received SIGTERM'));
      },
      stderr: (line) => (raw.text += `${line}\n`),
    });
    const started = Date.now();
    const run = await probeOn(host, raw, ['--endpoint', open.endpoint, '--duration', '60s']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.code).toBe(0);
    expect(run.summary).toMatchObject({ stoppedBy: 'signal', rounds: 1 });
  });

  it('the default endpoint (169.254.169.254) is refused by the loopback guard before anything is sent', async () => {
    // The real loopback-only host: blocked with EACCES.
    const run = await probe(['--provider', 'all', '--expect', 'blocked']);
    expect(run.code).toBe(0);
    expect(run.attempts.length).toBe(4);
    for (const a of run.attempts) expect([a.outcome, a.error]).toEqual(['blocked', 'EACCES']);

    // And the guard stops it before the network: a recording network behind it sees nothing.
    const real = new RealHost({ loopbackOnly: true });
    const reached: string[] = [];
    const refuse = (what: string) => {
      reached.push(what);
      return Promise.reject(new Error('the test network sends nothing'));
    };
    const recording: HostNetwork = {
      dnsExchange: () => refuse('dns'),
      http: (r) => refuse(r.url),
      tlsConnect: (o) => refuse(o.host),
      listen: () => refuse('listen'),
    };
    const raw = { text: '' };
    const host: Host = {
      kind: 'real',
      hostname: real.hostname,
      clock: real.clock,
      memory: real.memory,
      files: real.files,
      terminated: real.terminated,
      net: loopbackOnly(recording),
      stdout: (line) => (raw.text += `${line}\n`),
      stderr: (line) => (raw.text += `${line}\n`),
    };
    const guarded = await probeOn(host, raw, ['--provider', 'all']);
    expect(reached).toEqual([]);
    expect(guarded.code).toBe(0);
    expect(guarded.attempts.every((a) => a.error === 'EACCES' && a.outcome === 'blocked')).toBe(true);
  });

  it('rejects bad flags with exit 2 and documents every flag in --help', async () => {
    for (const args of [
      ['--endpoint', 'not a url'],
      ['--endpoint', 'ftp://127.0.0.1'],
      ['--provider', 'oracle'],
      ['--imds-version', 'v3'],
      ['--timeout', 'soon'],
      ['--count', '0'],
    ]) {
      const { host, raw } = loopbackHost();
      expect(await runAgent(['imdsprobe', ...args], host), args.join(' ')).toBe(2);
      expect(raw.text).toMatch(/scars-agent/);
    }
    const { host, raw } = loopbackHost();
    expect(await runAgent(['imdsprobe', '--help'], host)).toBe(0);
    for (const flag of [
      'endpoint',
      'provider',
      'imds-version',
      'timeout',
      'interval',
      'count',
      'duration',
      'expect',
    ])
      expect(raw.text).toContain(`--${flag}`);
    expect(raw.text).toMatch(/Examples:/);
  });

  it('runs as the CLI (node --import tsx src/agent/main.ts imdsprobe)', async () => {
    const { stdout, stderr, code } = await spawnAgent([
      'imdsprobe',
      '--endpoint',
      open.endpoint,
      '--provider',
      'all',
      '--expect',
      'reachable',
    ]).exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const run = collect(code ?? -1, stdout);
    expect(run.lines[0]).toMatchObject({ mode: 'imdsprobe', event: 'start', host: 'real' });
    expect(run.summary).toMatchObject({ exitCode: 0, credentialsReturned: true, roleFound: true });
    expectNoSecrets(stdout + stderr, open.secrets);
  });
});

/** Reads one path of the fake through the loopback host, as the test's own client. */
async function fetchFromFake(endpoint: string, path: string): Promise<OutgoingResponse> {
  const res = await new RealHost({ loopbackOnly: true }).net.http({ url: endpoint + path, timeoutMs: 2000 });
  return { status: res.status, body: res.body };
}
