/** Placeholder: being written. */
import { defineMode } from '../mode.ts';

export const serveMode = defineMode({
  name: 'serve',
  describe: 'not built yet',
  flags: (y) => y,
  options: () => ({}),
  run: () => Promise.resolve(3),
});
