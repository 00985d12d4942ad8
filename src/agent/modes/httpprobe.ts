/** Placeholder: being written. */
import { defineMode } from '../mode.ts';

export const httpprobeMode = defineMode({
  name: 'httpprobe',
  describe: 'not built yet',
  flags: (y) => y,
  options: () => ({}),
  run: () => Promise.resolve(3),
});
