import { ClientError } from '@entropic/client';

/** Objects per `POST /objects/batch` here: small enough that several batches stream at once. */
const BATCH_SIZE = 200;
/**
 * Batches of one kind in flight at once; what is asked for meanwhile waits for one of them to
 * end, so batches grow while the registry is busy instead of becoming one request per object.
 */
const BATCHES_IN_FLIGHT = 4;

interface Waiter {
  resolve(bytes: Buffer): void;
  reject(error: unknown): void;
}

export interface ObjectBatcherOptions {
  /** `POST /objects/batch` (the client verifies every object before handing it over) */
  fetchBatch(integrities: readonly string[], onObject: (integrity: string, bytes: Buffer | undefined) => void): Promise<void>;
  /** `GET /objects/object/…`: for a registry without the batch route */
  fetchOne(integrity: string): Promise<Buffer>;
  /** the request limiter shared with the other registry calls */
  limit<T>(task: () => Promise<T>, options?: { urgent?: boolean }): Promise<T>;
  /** called when the registry has no batch route, once */
  fallback?: (error: ClientError) => void;
}

/** A 404/405 that is not about an object: the registry predates `POST /objects/batch`. */
function batchRouteMissing(error: unknown): error is ClientError {
  return error instanceof ClientError && (error.status === 405 || (error.status === 404 && error.code === 'NOT_FOUND'));
}

/**
 * Coalesces object downloads: every object asked for in the same turn of the event loop goes in
 * one `POST /objects/batch` (urgent ones, version documents on the resolution's path, in batches
 * of their own that go first), instead of one GET each. A registry without the route gets GETs.
 */
export function createObjectBatcher(options: ObjectBatcherOptions) {
  const waiters = new Map<string, Waiter[]>();
  const queues = { urgent: [] as string[], normal: [] as string[] };
  const inFlight = { urgent: 0, normal: 0 };
  let scheduled = false;
  let batchRoute = true;

  const settle = (integrity: string, outcome: { bytes: Buffer } | { error: unknown }) => {
    const list = waiters.get(integrity) ?? [];
    waiters.delete(integrity);
    for (const waiter of list) 'bytes' in outcome ? waiter.resolve(outcome.bytes) : waiter.reject(outcome.error);
  };

  const one = (integrity: string, urgent: boolean) =>
    options
      .limit(() => options.fetchOne(integrity), { urgent })
      .then(
        (bytes) => settle(integrity, { bytes }),
        (error: unknown) => settle(integrity, { error }),
      );

  async function send(batch: string[], urgent: boolean): Promise<void> {
    if (!batchRoute) {
      await Promise.all(batch.map((integrity) => one(integrity, urgent)));
      return;
    }
    const done = new Set<string>();
    try {
      await options.limit(
        () =>
          options.fetchBatch(batch, (integrity, bytes) => {
            done.add(integrity);
            if (bytes) settle(integrity, { bytes });
            else settle(integrity, { error: new ClientError('OBJECT_NOT_FOUND', 'No object has that digest.', { status: 404 }) });
          }),
        { urgent },
      );
    } catch (error) {
      const rest = batch.filter((integrity) => !done.has(integrity));
      if (done.size === 0 && batchRouteMissing(error)) {
        if (batchRoute) options.fallback?.(error);
        batchRoute = false;
        await Promise.all(rest.map((integrity) => one(integrity, urgent)));
        return;
      }
      for (const integrity of rest) settle(integrity, { error });
    }
  }

  function flush(): void {
    scheduled = false;
    for (const kind of ['urgent', 'normal'] as const) {
      const queue = queues[kind];
      while (queue.length > 0 && inFlight[kind] < BATCHES_IN_FLIGHT) {
        inFlight[kind]++;
        send(queue.splice(0, BATCH_SIZE), kind === 'urgent').finally(() => {
          inFlight[kind]--;
          schedule();
        });
      }
    }
  }

  function schedule(): void {
    if (scheduled || (queues.urgent.length === 0 && queues.normal.length === 0)) return;
    scheduled = true;
    setImmediate(flush);
  }

  return {
    /** The object's bytes, verified; rejects with OBJECT_NOT_FOUND when the registry does not have it. */
    get(integrity: string, urgent = false): Promise<Buffer> {
      return new Promise<Buffer>((resolve, reject) => {
        const list = waiters.get(integrity);
        if (list) {
          list.push({ resolve, reject });
          return;
        }
        waiters.set(integrity, [{ resolve, reject }]);
        (urgent ? queues.urgent : queues.normal).push(integrity);
        schedule();
      });
    },
  };
}
