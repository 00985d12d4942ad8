/**
 * What a `scars-agent` container runs, from its command and args, as the image
 * (images/agent/Dockerfile, node:20-alpine) defines it:
 * ENTRYPOINT `node /agent/scars-agent.mjs`, CMD `serve`, a `/usr/local/bin/scars-agent` shim,
 * and busybox's shell and utilities.
 *
 * Kubernetes' rules apply: `command` replaces the entrypoint and drops the CMD; `args` alone
 * replace the CMD. The agent runs for `scars-agent …` (the shim, by name or path),
 * `node /agent/scars-agent.mjs …` (the entrypoint) and `sh -c "[exec] scars-agent …"` (a plain
 * word list; a script with any other shell syntax is not the agent). Any other program the image
 * holds is not modelled, and an executable the image does not hold cannot start.
 */
import { posix } from 'node:path';
import { AGENT_IMAGE_NAME } from '../../agent/image.ts';

/** The image's CMD: `serve` with its defaults (HTTP on 8080, /healthz and /readyz). */
export const AGENT_DEFAULT_ARGS: readonly string[] = ['serve'];
/** The bundle the entrypoint runs. */
export const AGENT_BUNDLE = '/agent/scars-agent.mjs';

const SHELLS = new Set(['sh', 'ash']);
/**
 * Programs of node:20-alpine a pod spec is likely to name (node, the shim, busybox's shell and
 * common applets). A bare name is looked up on PATH; a path must be where the image has it.
 */
const IMAGE_PROGRAMS: ReadonlyMap<string, readonly string[]> = new Map([
  [AGENT_IMAGE_NAME, ['/usr/local/bin']],
  ['node', ['/usr/local/bin']],
  ...[
    'sh',
    'ash',
    'busybox',
    'cat',
    'echo',
    'env',
    'false',
    'grep',
    'head',
    'hostname',
    'ls',
    'nc',
    'nslookup',
    'printf',
    'sleep',
    'tail',
    'test',
    'touch',
    'true',
    'wget',
  ].map((name): [string, string[]] => [name, ['/bin', '/usr/bin']]),
]);

/** Whether the image holds this executable (a name on PATH, or a path where the image has it). */
export function inImage(executable: string): boolean {
  const name = posix.basename(executable);
  const dirs = IMAGE_PROGRAMS.get(name);
  if (!dirs) return false;
  if (!executable.includes('/')) return true;
  // The shim is the agent wherever a pod spec says it is (images built elsewhere may move it).
  return name === AGENT_IMAGE_NAME || dirs.includes(posix.dirname(posix.normalize(executable)));
}

/** runc's words for an executable that is not there (containerd 2.0, runc 1.2: kind's 1.32 nodes). */
export function notFoundReason(executable: string): string {
  return executable.includes('/')
    ? `stat ${executable}: no such file or directory`
    : 'executable file not found in $PATH';
}

export type ContainerProgram =
  | { kind: 'agent'; argv: string[] }
  /** A program of the image that the sim does not model. */
  | { kind: 'other'; command: string[] }
  /** The executable is not in the image: the container cannot start. */
  | { kind: 'missing'; startError: string };

/** Splits a shell script that is a plain word list (quotes allowed); undefined if it uses other syntax. */
export function plainWords(script: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (const ch of script) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (quote === '"' && (ch === '$' || ch === '`' || ch === '\\')) return undefined;
      else word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (/[;&|<>()$`\\*?[\]]/.test(ch) || (word === undefined && /[#~]/.test(ch))) return undefined;
    else word = (word ?? '') + ch;
  }
  if (quote) return undefined;
  if (word !== undefined) words.push(word);
  return words;
}

/** The agent's argv if `words` (a command line) runs the agent, else undefined. */
function agentArgs(words: readonly string[]): string[] | undefined {
  const [first = '', ...rest] = words;
  const name = posix.basename(first);
  if (name === AGENT_IMAGE_NAME && inImage(first)) return rest;
  if (name === 'node' && inImage(first) && rest[0] === AGENT_BUNDLE) return rest.slice(1);
  if (SHELLS.has(name) && inImage(first) && rest[0] === '-c' && rest[1] !== undefined) {
    const script = plainWords(rest[1]);
    if (!script) return undefined;
    // sh -c 'script' name args…: $0 and positional parameters are not used by a plain word list.
    return agentArgs(script[0] === 'exec' ? script.slice(1) : script);
  }
  return undefined;
}

/** What the container's process is. */
export function containerProgram(container: { command?: string[]; args?: string[] }): ContainerProgram {
  const command = container.command ?? [];
  const args = container.args ?? [];
  if (command.length === 0)
    return { kind: 'agent', argv: args.length > 0 ? [...args] : [...AGENT_DEFAULT_ARGS] };
  const executable = command[0] as string;
  if (!inImage(executable))
    return {
      kind: 'missing',
      startError: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "${executable}": ${notFoundReason(executable)}: unknown`,
    };
  const line = [...command, ...args];
  const argv = agentArgs(line);
  return argv ? { kind: 'agent', argv } : { kind: 'other', command: line };
}
