import { signalExitPathTests } from '../support/exit-path-signals.ts';

signalExitPathTests(['cordon-node', 'node-drain', 'node-memory-pressure', 'memory-hog', 'pod-kill']);
