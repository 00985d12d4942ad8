/** Placeholder: being written. */
import { defineMode } from '../mode.ts';

export const imdsprobeMode = defineMode({
  name: 'imdsprobe',
  describe: 'not built yet',
  flags: (y) => y,
  options: () => ({}),
  run: () => Promise.resolve(3),
});
