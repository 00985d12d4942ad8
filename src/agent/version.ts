/**
 * The agent's version. The image bundle has no package.json beside it, so the bundler defines
 * SCARS_AGENT_VERSION; from a checkout it is scars' own version.
 */
import { VERSION } from '../version.ts';

export const AGENT_VERSION: string = process.env.SCARS_AGENT_VERSION ?? VERSION;
