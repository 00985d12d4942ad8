/** Placeholder: being written. */
import { defineMode } from '../mode.ts';

export const dnsfloodMode = defineMode({
  name: 'dnsflood',
  describe: 'not built yet',
  flags: (y) => y,
  options: () => ({}),
  run: () => Promise.resolve(3),
});
