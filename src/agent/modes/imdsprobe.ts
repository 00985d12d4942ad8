/**
 * `imdsprobe`: can this pod reach the cloud metadata service and get role credentials from it?
 *
 * Each round walks the paths an SDK walks for credentials (AWS IMDSv2 token then role listing
 * then role credentials, the same without a token for IMDSv1, GCP's service-account token, Azure's
 * managed-identity token) and says per path whether anything answered, and per round whether
 * credential bytes came back. It never prints a secret: not the credentials, not the IMDSv2
 * token, not even the role name (a path that carries it is printed as `{role}`), only byte
 * counts and booleans. Error messages are not printed either, since they quote the URL.
 *
 * The default endpoint is the real link-local metadata address, because trying it is the pod's
 * whole job; tests point `--endpoint` at a fake on loopback.
 */
import { FlagError, durationFlag, positiveIntFlag } from '../args.ts';
import { AgentExit } from '../exit-codes.ts';
import { HostNetworkError, type Host, type NetErrorCode } from '../host.ts';
import { CREDENTIAL_FIELDS } from '../imds/fake-imds.ts';
import { defineMode } from '../mode.ts';
import type { AgentOutput, SummaryFields } from '../output.ts';
import { pace } from '../pacer.ts';
import { OutcomeCounts } from '../stats.ts';

export const IMDS_PROVIDERS = ['aws', 'gcp', 'azure'] as const;
export type ImdsProvider = (typeof IMDS_PROVIDERS)[number];
export type ImdsVersion = 'v1' | 'v2';
export type ImdsExpect = 'blocked' | 'reachable' | 'any';

/**
 * reachable: something answered over HTTP (any status); blocked: the connection was refused,
 * reset or unroutable (or the host refused to send); timeout: no answer in time (a dropping
 * firewall, or an IMDSv2 hop limit eating the reply); error: anything else.
 */
export type ImdsOutcome = 'reachable' | 'timeout' | 'blocked' | 'error';

/** One path tried. */
export interface ImdsAttemptEvent {
  event: 'attempt';
  round: number;
  provider: ImdsProvider;
  /** AWS only: with (v2) or without (v1) a session token. */
  imdsVersion?: ImdsVersion;
  method: 'GET' | 'PUT';
  /** Path and query; the role name is replaced by `{role}`. */
  path: string;
  outcome: ImdsOutcome;
  status?: number;
  latencyMs: number;
  /** The network error code when nothing answered (ECONNREFUSED, ETIMEDOUT, EACCES, ...). */
  error?: NetErrorCode;
  /** The underlying code where there is one (e.g. a TLS error behind EPROTO). */
  detail?: string;
  /** Bytes of credential values in this answer (never the values). */
  credentialBytes?: number;
}

/** After each round. */
export interface ImdsResultEvent {
  event: 'result';
  round: number;
  /** The best outcome of the round's attempts: reachable > timeout > blocked > error. */
  outcome: ImdsOutcome;
  credentialsReturned: boolean;
  /** Sum of the lengths (UTF-8 bytes) of credential field values in the round's answers. */
  credentialBytes: number;
  /** Whether AWS listed a role under iam/security-credentials/ (the name itself is not printed). */
  roleFound: boolean;
  attempts: number;
  /** Since the mode started. */
  atMs: number;
}

export type ImdsSummary = SummaryFields & {
  expect: ImdsExpect;
  rounds: number;
  /** Rounds by their outcome. */
  outcomes: Partial<Record<ImdsOutcome, number>>;
  /** Attempts by their outcome. */
  attemptOutcomes: Partial<Record<ImdsOutcome, number>>;
  /** When the first attempt that got an answer was sent, since the mode started; null if none did. */
  firstReachableAtMs: number | null;
  /** When the first attempt that got credentials back was sent, since the mode started. */
  firstCredentialsAtMs: number | null;
  credentialsReturned: boolean;
  roundsWithCredentials: number;
  credentialBytes: number;
  roleFound: boolean;
};

export type ImdsprobeEvent = ImdsAttemptEvent | ImdsResultEvent | ImdsSummary;

export interface ImdsprobeOptions {
  /** Scheme, host and port; no trailing slash. */
  endpoint: string;
  providers: ImdsProvider[];
  imdsVersions: ImdsVersion[];
  timeoutMs: number;
  intervalMs: number;
  count?: number;
  durationMs?: number;
  expect: ImdsExpect;
}

/** A token TTL as SDKs ask for it (the maximum; the probe uses it at once anyway). */
const TOKEN_TTL_SECONDS = '21600';
const MAX_BODY_BYTES = 64 * 1024;
const AWS_ROLES_PATH = '/latest/meta-data/iam/security-credentials/';
const GCP_TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';
const AZURE_TOKEN_PATH =
  '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=' +
  encodeURIComponent('https://management.azure.com/');

const BLOCKED_CODES: ReadonlySet<NetErrorCode> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EACCES',
]);

const RANK: Record<ImdsOutcome, number> = { reachable: 3, timeout: 2, blocked: 1, error: 0 };

const round2 = (ms: number) => Math.round(ms * 100) / 100;
const utf8 = new TextEncoder();

/** Bytes of string values under credential field names anywhere in a JSON answer. */
export function credentialBytesIn(body: Uint8Array): number {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return 0;
  }
  let bytes = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const item of v) walk(item);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) {
        if (CREDENTIAL_FIELDS.has(k) && typeof item === 'string') bytes += utf8.encode(item).length;
        else walk(item);
      }
    }
  };
  walk(value);
  return bytes;
}

function outcomeOf(err: unknown): { outcome: ImdsOutcome; error: NetErrorCode; detail?: string } {
  if (!(err instanceof HostNetworkError)) return { outcome: 'error', error: 'EOTHER' };
  const outcome: ImdsOutcome =
    err.code === 'ETIMEDOUT' ? 'timeout' : BLOCKED_CODES.has(err.code) ? 'blocked' : 'error';
  return { outcome, error: err.code, ...(err.detail ? { detail: err.detail } : {}) };
}

interface Answer {
  status: number;
  body: Uint8Array;
}

/** One round: every configured path, in order, each step only if the one before it answered 200. */
class Round {
  readonly attempts: ImdsAttemptEvent[] = [];
  credentialBytes = 0;
  roleFound = false;
  firstReachableAt: number | undefined;
  firstCredentialsAt: number | undefined;

  constructor(
    private readonly host: Host,
    private readonly out: AgentOutput<ImdsprobeEvent>,
    private readonly options: ImdsprobeOptions,
    private readonly index: number,
    private readonly startedAt: number,
  ) {}

  private get stopped(): boolean {
    return this.host.terminated.aborted;
  }

  /** Sends one request and writes its attempt line; the answer only when one came back. */
  private async attempt(
    provider: ImdsProvider,
    method: 'GET' | 'PUT',
    path: string,
    printedPath: string,
    headers: Record<string, string>,
    imdsVersion?: ImdsVersion,
  ): Promise<Answer | undefined> {
    const { clock } = this.host;
    const sentAt = clock.now();
    const base = {
      event: 'attempt' as const,
      round: this.index,
      provider,
      ...(imdsVersion ? { imdsVersion } : {}),
      method,
      path: printedPath,
    };
    let line: ImdsAttemptEvent;
    let answer: Answer | undefined;
    try {
      const res = await this.host.net.http({
        url: this.options.endpoint + path,
        method,
        headers,
        timeoutMs: this.options.timeoutMs,
        maxBodyBytes: MAX_BODY_BYTES,
      });
      answer = { status: res.status, body: res.body };
      const credentialBytes = credentialBytesIn(res.body);
      line = {
        ...base,
        outcome: 'reachable',
        status: res.status,
        latencyMs: round2(clock.now() - sentAt),
        ...(credentialBytes > 0 ? { credentialBytes } : {}),
      };
      this.firstReachableAt ??= sentAt;
      if (credentialBytes > 0) {
        this.credentialBytes += credentialBytes;
        this.firstCredentialsAt ??= sentAt;
      }
    } catch (err) {
      line = { ...base, ...outcomeOf(err), latencyMs: round2(clock.now() - sentAt) };
    }
    this.attempts.push(line);
    this.out.emit(line);
    return answer;
  }

  async aws(version: ImdsVersion): Promise<void> {
    const headers: Record<string, string> = {};
    if (version === 'v2') {
      const res = await this.attempt(
        'aws',
        'PUT',
        '/latest/api/token',
        '/latest/api/token',
        { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
        version,
      );
      const token = res?.status === 200 ? new TextDecoder().decode(res.body).trim() : '';
      if (token === '' || this.stopped) return;
      headers['x-aws-ec2-metadata-token'] = token;
    }
    const listing = await this.attempt('aws', 'GET', AWS_ROLES_PATH, AWS_ROLES_PATH, headers, version);
    if (listing?.status !== 200 || this.stopped) return;
    // The listing holds one role per line; instance profiles carry exactly one.
    const role = new TextDecoder()
      .decode(listing.body)
      .split('\n')
      .map((s) => s.trim())
      .find((s) => s !== '');
    if (role === undefined) return;
    this.roleFound = true;
    await this.attempt(
      'aws',
      'GET',
      AWS_ROLES_PATH + encodeURIComponent(role),
      `${AWS_ROLES_PATH}{role}`,
      headers,
      version,
    );
  }

  async run(): Promise<void> {
    for (const provider of this.options.providers) {
      if (provider === 'aws') {
        for (const version of this.options.imdsVersions) {
          if (this.stopped) return;
          await this.aws(version);
        }
        continue;
      }
      if (this.stopped) return;
      if (provider === 'gcp') {
        await this.attempt('gcp', 'GET', GCP_TOKEN_PATH, GCP_TOKEN_PATH, { 'metadata-flavor': 'Google' });
      } else {
        await this.attempt('azure', 'GET', AZURE_TOKEN_PATH, AZURE_TOKEN_PATH, { metadata: 'true' });
      }
    }
  }

  result(): ImdsResultEvent {
    let outcome: ImdsOutcome = 'error';
    for (const a of this.attempts) if (RANK[a.outcome] > RANK[outcome]) outcome = a.outcome;
    return {
      event: 'result',
      round: this.index,
      outcome,
      credentialsReturned: this.credentialBytes > 0,
      credentialBytes: this.credentialBytes,
      roleFound: this.roleFound,
      attempts: this.attempts.length,
      atMs: round2(this.host.clock.now() - this.startedAt),
    };
  }
}

function endpointFlag(value: unknown): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new FlagError('endpoint', value, 'a URL such as http://169.254.169.254');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash)
    throw new FlagError('endpoint', value, 'an http:// or https:// URL with no query');
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

function choiceFlag<T extends string>(flag: string, value: unknown, choices: readonly T[]): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new FlagError(flag, value, `one of ${choices.join(', ')}`);
}

export const imdsprobeMode = defineMode<ImdsprobeOptions, ImdsprobeEvent>({
  name: 'imdsprobe',
  describe:
    'Try the cloud metadata endpoint for role credentials: reachable/blocked/timeout per path, and whether credential bytes came back (never the values)',
  flags: (y) =>
    y
      .option('endpoint', {
        type: 'string',
        default: 'http://169.254.169.254',
        describe: 'Metadata service base URL (the real link-local address by default)',
      })
      .option('provider', {
        type: 'string',
        choices: ['aws', 'gcp', 'azure', 'all'],
        default: 'aws',
        describe:
          'Whose paths to try: AWS IMDS role credentials, GCP service-account token, Azure managed-identity token, or all three',
      })
      .option('imds-version', {
        type: 'string',
        choices: ['v1', 'v2', 'both'],
        default: 'both',
        describe:
          'AWS: v2 (PUT a session token, then GET with it), v1 (GET without a token), or both (v2 paths, then v1 paths)',
      })
      .option('timeout', {
        type: 'string',
        default: '1s',
        describe: 'Per-request timeout (SDKs give IMDS about a second)',
      })
      .option('interval', {
        type: 'string',
        default: '1s',
        describe: 'Time between round starts when repeating (--count or --duration)',
      })
      .option('count', {
        type: 'number',
        describe: 'Rounds to run (default 1 unless --duration is given)',
      })
      .option('duration', {
        type: 'string',
        describe: 'Keep starting rounds for this long (e.g. 30s, to watch the window after pod start)',
      })
      .option('expect', {
        type: 'string',
        choices: ['blocked', 'reachable', 'any'],
        default: 'any',
        describe:
          'Exit code verdict: blocked (exit 1 if any path answered or credentials came back), reachable (exit 1 if a round got no credentials), any (exit 0)',
      })
      .example('$0 imdsprobe --expect blocked', 'Fail if this pod can reach AWS IMDS at all')
      .example(
        '$0 imdsprobe --provider all --interval 500ms --duration 30s',
        'Watch all three providers for the first 30s of the pod’s life',
      )
      .example(
        '$0 imdsprobe --endpoint http://127.0.0.1:8080 --imds-version v2 --expect reachable',
        'Against a fake IMDS (serve --imds): IMDSv2 credentials must be fetchable',
      ),
  options: (argv) => {
    const provider = choiceFlag('provider', argv.provider, ['aws', 'gcp', 'azure', 'all'] as const);
    const version = choiceFlag('imds-version', argv['imds-version'], ['v1', 'v2', 'both'] as const);
    const timeoutMs = durationFlag('timeout', argv.timeout);
    if (timeoutMs <= 0) throw new FlagError('timeout', argv.timeout, 'a positive duration');
    const intervalMs = durationFlag('interval', argv.interval);
    if (intervalMs <= 0) throw new FlagError('interval', argv.interval, 'a positive duration');
    const durationMs = argv.duration === undefined ? undefined : durationFlag('duration', argv.duration);
    const count =
      argv.count !== undefined
        ? positiveIntFlag('count', argv.count)
        : durationMs === undefined
          ? 1
          : undefined;
    return {
      endpoint: endpointFlag(argv.endpoint),
      providers: provider === 'all' ? [...IMDS_PROVIDERS] : [provider],
      imdsVersions: version === 'both' ? ['v2', 'v1'] : [version],
      timeoutMs,
      intervalMs,
      ...(count !== undefined ? { count } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
      expect: choiceFlag('expect', argv.expect, ['blocked', 'reachable', 'any'] as const),
    };
  },
  run: async (options, { host, out }) => {
    const startedAt = host.clock.now();
    const outcomes = new OutcomeCounts<ImdsOutcome>();
    const attemptOutcomes = new OutcomeCounts<ImdsOutcome>();
    let rounds = 0;
    let roundsWithCredentials = 0;
    let credentialBytes = 0;
    let roleFound = false;
    let anyAnswer = false;
    let firstReachableAt: number | undefined;
    let firstCredentialsAt: number | undefined;

    const paced = await pace(
      {
        clock: host.clock,
        rate: 1000 / options.intervalMs,
        count: options.count,
        durationMs: options.durationMs,
        concurrency: 1,
        whenBusy: 'wait',
        signal: host.terminated,
      },
      async (i) => {
        const r = new Round(host, out, options, i + 1, startedAt);
        await r.run();
        // Whatever answered counts, even in a round cut short by SIGTERM.
        for (const a of r.attempts) attemptOutcomes.add(a.outcome);
        if (r.firstReachableAt !== undefined) {
          anyAnswer = true;
          firstReachableAt ??= r.firstReachableAt;
        }
        if (r.firstCredentialsAt !== undefined) firstCredentialsAt ??= r.firstCredentialsAt;
        credentialBytes += r.credentialBytes;
        roleFound ||= r.roleFound;
        if (host.terminated.aborted) return; // an unfinished round gets no verdict line
        const result = r.result();
        out.emit(result);
        rounds++;
        outcomes.add(result.outcome);
        if (result.credentialsReturned) roundsWithCredentials++;
      },
    );

    const credentialsReturned = credentialBytes > 0;
    const failed =
      options.expect === 'blocked'
        ? anyAnswer || credentialsReturned
        : options.expect === 'reachable'
          ? rounds === 0 || roundsWithCredentials < rounds
          : false;
    const exitCode = failed ? AgentExit.observedFailure : AgentExit.ok;
    const since = (t: number | undefined) => (t === undefined ? null : round2(t - startedAt));
    out.emit({
      event: 'summary',
      exitCode,
      stoppedBy: paced.stoppedBy,
      expect: options.expect,
      rounds,
      outcomes: outcomes.toJSON(),
      attemptOutcomes: attemptOutcomes.toJSON(),
      firstReachableAtMs: since(firstReachableAt),
      firstCredentialsAtMs: since(firstCredentialsAt),
      credentialsReturned,
      roundsWithCredentials,
      credentialBytes,
      roleFound,
    });
    return exitCode;
  },
});
