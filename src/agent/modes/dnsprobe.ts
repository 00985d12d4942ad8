/** Placeholder: being written. */
import { defineMode } from '../mode.ts';

export const dnsprobeMode = defineMode({
  name: 'dnsprobe',
  describe: 'not built yet',
  flags: (y) => y,
  options: () => ({}),
  run: () => Promise.resolve(3),
});
