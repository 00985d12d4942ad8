/**
 * Kinds without a printer (limitranges, bindings, ...) get k8s.io/apiserver's defaultTableConvertor
 * (pkg/registry/rest/table.go): the name and the creation time as an RFC3339 date, which kubectl
 * prints under NAME and CREATED AT.
 */
import type { KubeObject } from '../../object.ts';
import { NAME, column, printer } from './columns.ts';
import { DOC } from './descriptions.ts';
import { rfc3339 } from './duration.ts';

export const fallback = printer<KubeObject>(
  [NAME, column('Created At', 'date', DOC['ObjectMeta.creationTimestamp'])],
  (obj) => [obj.metadata.name ?? '', rfc3339(obj.metadata.creationTimestamp)],
);
