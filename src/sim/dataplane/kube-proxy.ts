/** Placeholder: being written. */
import type { SimContext } from '../context.ts';
import type { DataPlanePart } from './part.ts';

export class KubeProxy implements DataPlanePart {
  readonly name = 'kube-proxy';
  constructor(readonly ctx: SimContext) {}
  start(): void {}
  stop(): void {}
  ready(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
