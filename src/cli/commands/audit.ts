/** `scars audit <path..|->`: a static check of manifests for the pitfalls the scenarios test. */
import type { CommandModule } from 'yargs';
import { InputError, UsageError } from '../../errors.ts';
import {
  auditPaths,
  DEFAULT_CERT_DAYS,
  DEFAULT_NAMESPACE,
  FAIL_ON,
  type FailOn,
  fails,
  formatConsole,
  RULES,
  STDIN,
  toJson,
  toSarif,
} from '../../audit/index.ts';
import type { CliIO } from '../main.ts';

const FORMATS = ['console', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

interface AuditArgs {
  path?: string[];
  format?: string;
  'fail-on'?: string;
  'cert-days'?: number;
  namespace?: string;
}

export function auditCommand(
  io: CliIO,
  setExit: (code: number) => void,
  argv: readonly string[],
  stdin: NodeJS.ReadableStream = process.stdin,
): CommandModule<object, AuditArgs> {
  return {
    command: 'audit <path..>',
    describe: 'Check Kubernetes manifests for the pitfalls the scenarios test (no cluster needed)',
    builder: (y) =>
      y
        .positional('path', {
          type: 'string',
          array: true,
          describe:
            'manifest files or directories (searched recursively for *.yaml, *.yml, *.json); - reads stdin',
        })
        .option('format', {
          type: 'string',
          choices: FORMATS,
          default: 'console',
          describe:
            'console (grouped by file), json (stable shape, docs/audit.md) or sarif (2.1.0, for code scanning)',
        })
        .option('fail-on', {
          type: 'string',
          choices: FAIL_ON,
          default: 'error',
          describe: 'exit 1 when a finding at or above this severity exists',
        })
        .option('cert-days', {
          type: 'number',
          default: DEFAULT_CERT_DAYS,
          describe: 'report TLS Secret certificates that expire within this many days',
        })
        .option('namespace', {
          type: 'string',
          default: DEFAULT_NAMESPACE,
          describe: 'namespace assumed for objects without metadata.namespace (as kubectl apply -n)',
        })
        .example('$0 audit k8s/', 'every manifest under k8s/, findings grouped by file')
        .example('helm template my-chart | $0 audit -', 'rendered manifests from stdin')
        .example('kustomize build overlays/prod | $0 audit - --fail-on warning', 'fail CI on warnings too')
        .example('$0 audit k8s/ --format sarif > scars.sarif', 'SARIF for GitHub code scanning')
        .example(
          '$0 audit k8s/secrets.yaml --cert-days 14 --format json',
          'certificates expiring within two weeks',
        )
        .epilog(
          `Rules: ${RULES.map((r) => r.id).join(', ')} (docs/audit.md explains each).\n\n` +
            'Exit codes: 0 no finding at or above --fail-on · 1 such a finding · 2 bad input (unreadable path, invalid YAML, not a manifest) or usage',
        ),
    handler: async (args) => {
      const certDays = args['cert-days'] ?? DEFAULT_CERT_DAYS;
      if (!Number.isInteger(certDays) || certDays < 0) {
        throw new UsageError(
          `--cert-days: expected a whole number of days (0 or more), got ${String(certDays)}`,
        );
      }
      // yargs drops a bare `-` from positionals, so stdin is found in the raw arguments.
      const dashes = argv.slice(argv.indexOf('audit') + 1).filter((a) => a === STDIN).length;
      if (dashes > 1) throw new UsageError('audit: stdin (-) can be read only once');
      const paths = [...(args.path ?? []).filter((p) => p !== STDIN), ...(dashes ? [STDIN] : [])];
      if (!paths.length) throw new UsageError('audit: name manifest files, directories, or - for stdin');
      const format = (args.format ?? 'console') as Format;
      const failOn = (args['fail-on'] ?? 'error') as FailOn;
      const defaultNamespace = args.namespace || DEFAULT_NAMESPACE;
      const result = await auditPaths(paths, { cwd: io.cwd, stdin, certDays, defaultNamespace });
      // Nothing to audit is a mistake upstream (an empty `helm template`, a wrong folder), not a pass.
      if (result.objects === 0) {
        throw new InputError({
          file: paths.map((p) => (p === STDIN ? '<stdin>' : p)).join(', '),
          expected: 'no Kubernetes objects found',
        });
      }
      const failed = fails(result.findings, failOn);
      if (format === 'json') {
        io.stdout.write(
          `${JSON.stringify(toJson(result, { certDays, defaultNamespace, failOn, failed }), null, 2)}\n`,
        );
      } else if (format === 'sarif') {
        io.stdout.write(`${JSON.stringify(toSarif(result), null, 2)}\n`);
      } else {
        io.stdout.write(formatConsole(result, { failOn, failed }));
      }
      setExit(failed ? 1 : 0);
    },
  };
}
