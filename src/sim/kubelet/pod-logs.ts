/**
 * Container logs as the kubelet keeps them: per pod UID and container, current and previous
 * instance, each line stamped with its (simulated) time. `pods/log` reads from here; the
 * simulated containers write here.
 */
export interface LogLine {
  time: number;
  text: string;
}

type Listener = (line: LogLine) => void;

interface ContainerLog {
  current: LogLine[];
  previous: LogLine[] | undefined;
  listeners: Set<Listener>;
  /** Set when the container instance has exited; a follow stream ends there. */
  ended: boolean;
}

// Like the kubelet's log rotation, a container keeps a bounded tail.
const MAX_LINES = 10_000;

export class PodLogStore {
  private readonly logs = new Map<string, ContainerLog>();

  private entry(uid: string, container: string): ContainerLog {
    const key = `${uid}/${container}`;
    let log = this.logs.get(key);
    if (!log)
      this.logs.set(key, (log = { current: [], previous: undefined, listeners: new Set(), ended: false }));
    return log;
  }

  append(uid: string, container: string, text: string, time: number): void {
    const log = this.entry(uid, container);
    for (const part of text.replace(/\n$/, '').split('\n')) {
      const line = { time, text: part };
      log.current.push(line);
      if (log.current.length > MAX_LINES) log.current.splice(0, log.current.length - MAX_LINES);
      for (const listener of log.listeners) listener(line);
    }
  }

  /** A container restarted: what it wrote becomes `--previous`. */
  restart(uid: string, container: string): void {
    const log = this.entry(uid, container);
    log.previous = log.current;
    log.current = [];
    log.ended = false;
  }

  end(uid: string, container: string): void {
    const log = this.entry(uid, container);
    log.ended = true;
    for (const listener of log.listeners) listener({ time: NaN, text: '' });
  }

  read(uid: string, container: string, previous: boolean): readonly LogLine[] | undefined {
    const log = this.logs.get(`${uid}/${container}`);
    return previous ? log?.previous : (log?.current ?? []);
  }

  isEnded(uid: string, container: string): boolean {
    return this.logs.get(`${uid}/${container}`)?.ended ?? false;
  }

  /** Calls `listener` for each new line; a line with NaN time means the container ended. */
  follow(uid: string, container: string, listener: Listener): () => void {
    const log = this.entry(uid, container);
    log.listeners.add(listener);
    return () => log.listeners.delete(listener);
  }

  forget(uid: string): void {
    for (const key of this.logs.keys()) if (key.startsWith(`${uid}/`)) this.logs.delete(key);
  }
}
