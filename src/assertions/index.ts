export { type MinReadyOptions, minReadyReplicas } from './availability.ts';
export { FAULT_WINDOW } from './window.ts';
export { type ServiceAvailabilityOptions, serviceAvailability } from './service-availability.ts';
export {
  type NoRestartCascadeOptions,
  noRestartCascade,
  type ReadinessGatingOptions,
  readinessGating,
} from './probes.ts';
export {
  type CertChainValidOptions,
  type CertExpiryDetectedOptions,
  certChainValid,
  certDaysLeft,
  certExpiryDetected,
} from './certs.ts';
export { type ImdsSelectorOptions, imdsBlocked, imdsReachable } from './imds.ts';
export { type PdbHeldOptions, parseLabelSelector, pdbHeld } from './pdb.ts';
export {
  type CriticalNotBestEffortOptions,
  criticalNotBestEffort,
  type EvictionOrderOptions,
  evictionOrderByQoS,
  type OomKilledSurfacedOptions,
  oomKilledSurfaced,
  qosOf,
  type RequestsLimitsPolicyOptions,
  requestsLimitsPolicy,
  type RestartsBackOffOptions,
  restartsBackOff,
} from './memory.ts';
export {
  type DnsFailureRateOptions,
  type DnsLatencyOptions,
  type DnsQueriesPerLookupOptions,
  type DnsRetriesOptions,
  dnsFailureRate,
  dnsLatency,
  dnsQueriesPerLookup,
  dnsRetries,
} from './dns.ts';
