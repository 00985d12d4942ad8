export { type MinReadyOptions, minReadyReplicas } from './availability.ts';
export { FAULT_WINDOW } from './window.ts';
export { type ServiceAvailabilityOptions, serviceAvailability } from './service-availability.ts';
