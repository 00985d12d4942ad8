export { isPodReady, type PodReadinessOptions, podReadiness, type ReadinessSample } from './pod-readiness.ts';
