/** Placeholder: being written. */
import { defineMode } from '../mode.ts';

export const tlsprobeMode = defineMode({
  name: 'tlsprobe',
  describe: 'not built yet',
  flags: (y) => y,
  options: () => ({}),
  run: () => Promise.resolve(3),
});
