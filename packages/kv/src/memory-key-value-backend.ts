export interface MemoryEntry {
  value: string;
  /** Date.now() milliseconds; undefined = no expiry */
  expiresAt: number | undefined;
}

export interface MemorySubscription {
  readonly handler: (message: string) => void;
}

/**
 * The data behind in-process stores. Stores created over the same backend see the same keys and
 * channels, like several clients of one Redis.
 */
export interface MemoryKeyValueBackend {
  /** The live entry for key, dropping it when it has expired. */
  read(key: string): MemoryEntry | undefined;
  write(key: string, entry: MemoryEntry): void;
  remove(key: string): boolean;
  readonly channels: Map<string, Set<MemorySubscription>>;
  /** Drops every expired entry; returns how many were dropped. */
  sweep(): number;
  /** Keeps the periodic sweep running until the returned release function is called. */
  retain(): () => void;
}

export interface MemoryKeyValueBackendOptions {
  /** How often expired entries are swept (they are also dropped lazily on access). Default 30 s. */
  sweepIntervalMs?: number;
}

export function createMemoryKeyValueBackend(options: MemoryKeyValueBackendOptions = {}): MemoryKeyValueBackend {
  const sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
  const entries = new Map<string, MemoryEntry>();
  const channels = new Map<string, Set<MemorySubscription>>();
  let users = 0;
  let timer: NodeJS.Timeout | undefined;

  const expired = (entry: MemoryEntry, now: number) => entry.expiresAt !== undefined && entry.expiresAt <= now;

  const sweep = () => {
    const now = Date.now();
    let dropped = 0;
    for (const [key, entry] of entries) {
      if (expired(entry, now)) {
        entries.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  };

  return {
    read(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (expired(entry, Date.now())) {
        entries.delete(key);
        return undefined;
      }
      return entry;
    },
    write(key, entry) {
      entries.set(key, entry);
    },
    remove(key) {
      const entry = this.read(key);
      entries.delete(key);
      return entry !== undefined;
    },
    channels,
    sweep,
    retain() {
      users += 1;
      if (timer === undefined) {
        timer = setInterval(sweep, sweepIntervalMs);
        timer.unref();
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        users -= 1;
        if (users === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}
