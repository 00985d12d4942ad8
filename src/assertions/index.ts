export { minReadyReplicas, type MinReadyOptions } from './availability.ts';
