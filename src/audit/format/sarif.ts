/**
 * SARIF 2.1.0 output (for GitHub code scanning and other SARIF viewers), built with node-sarif-builder:
 * every rule in tool.driver.rules, one result per finding with the file and the line of the field.
 */
import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import { VERSION } from '../../version.ts';
import { RULES } from '../registry.ts';
import type { AuditResult, Severity } from '../types.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note' };

export function toSarif(result: AuditResult): Log {
  const builder = new SarifBuilder({ $schema: SARIF_SCHEMA, version: '2.1.0', runs: [] });
  const run = new SarifRunBuilder().initSimple({ toolDriverName: 'scars', toolDriverVersion: VERSION });
  for (const rule of RULES) {
    const descriptor: ReportingDescriptor = {
      id: rule.id,
      name: rule.id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.why },
      help: { text: rule.fix },
      defaultConfiguration: { level: LEVEL[rule.severity] },
      properties: { tags: ['kubernetes', 'reliability', rule.family] },
    };
    run.addRule(new SarifRuleBuilder(descriptor));
  }
  for (const f of result.findings) {
    const res: Result = {
      ruleId: f.ruleId,
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: f.uri },
            region: { startLine: f.line, startColumn: f.column },
          },
          logicalLocations: [
            {
              name: f.object.name,
              fullyQualifiedName: `${f.object.kind}/${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}`,
              kind: 'object',
            },
          ],
        },
      ],
      properties: { field: f.field, fix: f.fix },
    };
    run.addResult(new SarifResultBuilder(res));
  }
  builder.addRun(run);
  return builder.buildSarifOutput();
}
