/** Placeholder: being written. */
import type { SimContext } from '../context.ts';
import type { DataPlanePart } from './part.ts';

export class NetworkPolicies implements DataPlanePart {
  readonly name = 'network-policy';
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
