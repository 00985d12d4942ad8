export { type CordonOptions, cordonNode } from './cordon-node.ts';
export { type PodKillOptions, podKill } from './pod-kill.ts';
export { agentImagePreflight } from './preflight.ts';
export {
  type LivenessStormOptions,
  livenessStorm,
  type StormLoad,
  summariseStorm,
} from './liveness-storm.ts';
export {
  type DrainResult,
  type EvictionRecord,
  type NodeChoice,
  type NodeDrainOptions,
  type NodePicker,
  nodeDrain,
  nodeHostingMost,
  nodesHosting,
} from './node-drain.ts';
export {
  CERT_WITNESS_LABEL,
  type CertEndpoint,
  type CertExpiryOptions,
  type CertSwap,
  certExpiry,
} from './cert-expiry.ts';
export {
  caBundle,
  type CertificateInfo,
  createCertificateAuthority,
  issueCertificate,
  type PemCertificate,
  readCertificate,
  tlsSecret,
} from './certificates.ts';
export {
  IMDS_NEWBORN_LABEL,
  IMDS_PROBE_LABEL,
  type ImdsAccessOptions,
  type ImdsProbeSet,
  imdsAccess,
} from './imds-access.ts';
export { type MemoryHogOptions, memoryHog, nodeOf, resourcesOfDeployment } from './memory-hog.ts';
export {
  type NodeMemoryPressureOptions,
  nodeMemoryPressure,
  podMemoryRequest,
} from './node-memory-pressure.ts';
export { type ContainerCrashOptions, containerCrash } from './container-crash.ts';
export { type CorednsFloodOptions, corednsFlood, corednsRequestsTotal } from './coredns-flood.ts';
