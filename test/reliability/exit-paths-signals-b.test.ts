import { signalExitPathTests } from '../support/exit-path-signals.ts';

signalExitPathTests(['cert-expiry', 'container-crash', 'coredns-flood', 'imds-access', 'liveness-storm']);
