import type { Redis } from 'ioredis';
import { closeConnection } from './close-connection.ts';
import { firstConnectionAttempt } from './first-connection-attempt.ts';
import { toKeyValueStoreError } from './to-key-value-store-error.ts';

interface Subscription {
  readonly handler: (message: string) => void;
}

export interface RedisSubscriptions {
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Pub/sub over a dedicated connection (a Redis connection in subscriber mode cannot run other
 * commands), opened on the first subscribe. ioredis resubscribes after a reconnect. SUBSCRIBE and
 * UNSUBSCRIBE are issued one at a time so that a quick unsubscribe/subscribe pair on one channel
 * cannot reach Redis out of order.
 */
export function createRedisSubscriptions(options: {
  /** Creates the subscriber connection (with the error listener already attached). */
  connect: () => Redis;
  connectTimeoutMs: number;
  report: (error: unknown) => void;
}): RedisSubscriptions {
  const channels = new Map<string, Set<Subscription>>();
  let connection: { client: Redis; ready: () => Promise<void> } | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const result = queue.then(step);
    queue = result.catch(() => undefined);
    return result;
  };

  const open = () => {
    if (connection === undefined) {
      const client = options.connect();
      client.on('message', (channel: string, message: string) => {
        for (const subscription of [...(channels.get(channel) ?? [])]) {
          try {
            subscription.handler(message);
          } catch (error) {
            options.report(error);
          }
        }
      });
      connection = { client, ready: firstConnectionAttempt(client, options.connectTimeoutMs) };
    }
    return connection;
  };

  const unsubscribe = (channel: string, subscription: Subscription) =>
    serially(async () => {
      const subscriptions = channels.get(channel);
      if (subscriptions === undefined || !subscriptions.delete(subscription) || subscriptions.size > 0) return;
      channels.delete(channel);
      try {
        await connection?.client.unsubscribe(channel);
      } catch (error) {
        // Locally unsubscribed already; at worst Redis keeps sending messages nobody handles.
        options.report(error);
      }
    });

  return {
    subscribe(channel, handler) {
      const subscription: Subscription = { handler };
      return serially(async () => {
        const existing = channels.get(channel);
        if (existing !== undefined) {
          existing.add(subscription);
        } else {
          // registered before SUBSCRIBE so that no message arriving right after confirmation is lost
          channels.set(channel, new Set([subscription]));
          try {
            const { client, ready } = open();
            await ready();
            await client.subscribe(channel);
          } catch (error) {
            channels.delete(channel);
            throw toKeyValueStoreError(error);
          }
        }
        let done = false;
        return async () => {
          if (done) return;
          done = true;
          await unsubscribe(channel, subscription);
        };
      });
    },
    async close() {
      channels.clear();
      if (connection !== undefined) await closeConnection(connection.client);
    },
  };
}
