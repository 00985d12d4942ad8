export { isPodReady, podReadiness, type PodReadinessOptions, type ReadinessSample } from './pod-readiness.ts';
