export { type CordonOptions, cordonNode } from './cordon-node.ts';
export { type PodKillOptions, podKill } from './pod-kill.ts';
export { agentImagePreflight } from './preflight.ts';
