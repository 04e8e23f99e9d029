import type { Redis } from 'ioredis';

/** QUITs when connected (pending replies are delivered), otherwise drops the socket and any reconnect timer. */
export async function closeConnection(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: the connection died while quitting
    }
  }
  client.disconnect();
}
