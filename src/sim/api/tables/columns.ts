/** meta.k8s.io/v1 TableColumnDefinition and the columns most printers share. */
import { DOC } from './descriptions.ts';
import type { KubeObject } from '../../object.ts';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  /** 0 for the default view; 1 for columns kubectl only shows with `-o wide`. */
  priority: number;
}

export function column(name: string, type: string, description: string, priority = 0): TableColumnDefinition {
  return { name, type, format: '', description, priority };
}

export const wide = (name: string, type: string, description: string): TableColumnDefinition =>
  column(name, type, description, 1);

export const NAME: TableColumnDefinition = {
  ...column('Name', 'string', DOC['ObjectMeta.name']),
  format: 'name',
};
export const AGE: TableColumnDefinition = column('Age', 'string', DOC['ObjectMeta.creationTimestamp']);

export const CONTAINERS = wide('Containers', 'string', 'Names of each container in the template.');
export const IMAGES = wide('Images', 'string', 'Images referenced by each container in the template.');

/** One upstream TableHandler: its column definitions and the function that fills a row. */
export interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number): unknown[];
}

/**
 * Pairs columns with a cell function over the kind's wire type. Stored objects are the wire form of
 * that kind, so the narrowing is the registry's promise rather than something checked here.
 */
export function printer<T>(
  columns: TableColumnDefinition[],
  cells: (obj: T, now: number) => unknown[],
): Printer {
  return { columns, cells: (obj, now) => cells(obj as unknown as T, now) };
}
