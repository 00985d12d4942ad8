export { type MinReadyOptions, minReadyReplicas } from './availability.ts';
