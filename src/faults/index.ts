export { cordonNode, type CordonOptions } from './cordon-node.ts';
export { podKill, type PodKillOptions } from './pod-kill.ts';
