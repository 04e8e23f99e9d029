import type { Repositories, UnitOfWork } from '@entropic/core';
import type { Metrics } from './metrics.ts';

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

async function timed<T>(metrics: Metrics, repository: string, method: string, call: () => Promise<T>): Promise<T> {
  const start = performance.now();
  let ok = false;
  try {
    const result = await call();
    ok = true;
    return result;
  } finally {
    metrics.observeDatabaseOperation(repository, method, ok, (performance.now() - start) / 1000);
  }
}

/**
 * The repositories with each call's latency recorded (`entropic_database_operation_duration_seconds`
 * by repository and method): a decorator on core's ports in the server's composition, so neither
 * core nor the SQL knows about metrics. Every repository method returns a promise. Wrapping is
 * lazy (a transaction's repositories are new each time; most transactions use a few methods).
 */
export function timeRepositories(repos: Repositories, metrics: Metrics): Repositories {
  return lazilyWrapped(repos, (repository, implementation) =>
    lazilyWrapped(implementation as Record<string, unknown>, (method, value) => {
      if (typeof value !== 'function') return value;
      const call = (value as AnyMethod).bind(implementation);
      return (...args: unknown[]) => timed(metrics, repository, method, () => call(...args));
    }),
  ) as Repositories;
}

/** A read-only view of `target` whose properties are `wrap`ped on first access. */
function lazilyWrapped<T extends object>(target: T, wrap: (key: string, value: unknown) => unknown): T {
  const cache = new Map<string, unknown>();
  return new Proxy(target, {
    get(object, key, receiver) {
      if (typeof key !== 'string') return Reflect.get(object, key, receiver);
      let value = cache.get(key);
      if (value === undefined && !cache.has(key)) {
        value = wrap(key, Reflect.get(object, key, receiver));
        cache.set(key, value);
      }
      return value;
    },
  });
}

/** Times whole transactions, and the repository calls inside them. */
export function timeUnitOfWork(uow: UnitOfWork, metrics: Metrics): UnitOfWork {
  return {
    transaction: (work) =>
      timed(metrics, 'transaction', 'transaction', () => uow.transaction((repos) => work(timeRepositories(repos, metrics)))),
  };
}
