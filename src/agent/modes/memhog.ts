/** Placeholder: being written. */
import { defineMode } from '../mode.ts';

export const memhogMode = defineMode({
  name: 'memhog',
  describe: 'not built yet',
  flags: (y) => y,
  options: () => ({}),
  run: () => Promise.resolve(3),
});
