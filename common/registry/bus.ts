import { Redis } from 'ioredis';
import { withTimeout } from '../errors.ts';

/** Messages between the nodes of a cluster, per topic (a visit): Redis pub/sub under the registry's key prefix. */
export interface ClusterBus {
  publish(topic: string, message: object): Promise<void>;
  /** Resolves once subscribed; the returned function unsubscribes. */
  subscribe(topic: string, onMessage: (message: unknown) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * One connection publishes, one subscribes (a subscribed Redis connection
 * can do nothing else); every call settles within `timeoutMs`. Delivery is
 * at most once and in order per publisher, which is what Redis pub/sub gives.
 */
export class RedisBus implements ClusterBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, (message: unknown) => void>();

  constructor(redisUrl: string, private readonly prefix: string, private readonly timeoutMs = 2000) {
    const options = { commandTimeout: timeoutMs, connectTimeout: timeoutMs, maxRetriesPerRequest: 1 };
    this.pub = new Redis(redisUrl, options);
    this.sub = new Redis(redisUrl, { connectTimeout: timeoutMs, maxRetriesPerRequest: 1 });
    for (const r of [this.pub, this.sub]) r.on('error', () => {});
    this.sub.on('message', (channel: string, text: string) => {
      const handler = this.handlers.get(channel);
      if (!handler) return;
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return;
      }
      handler(message);
    });
  }

  async publish(topic: string, message: object): Promise<void> {
    await withTimeout(this.pub.publish(this.channel(topic), JSON.stringify(message)), this.timeoutMs, 'bus publish');
  }

  async subscribe(topic: string, onMessage: (message: unknown) => void): Promise<() => Promise<void>> {
    const channel = this.channel(topic);
    this.handlers.set(channel, onMessage);
    await withTimeout(this.sub.subscribe(channel), this.timeoutMs, 'bus subscribe');
    return async () => {
      if (this.handlers.get(channel) !== onMessage) return;
      this.handlers.delete(channel);
      await withTimeout(this.sub.unsubscribe(channel), this.timeoutMs, 'bus unsubscribe');
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    for (const r of [this.pub, this.sub]) {
      try {
        await withTimeout(r.quit(), this.timeoutMs, 'bus close');
      } catch {
        r.disconnect();
      }
    }
  }

  private channel(topic: string): string {
    return `${this.prefix}bus:${topic}`;
  }
}
