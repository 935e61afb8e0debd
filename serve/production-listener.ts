/**
 * LISTEN nightshift_production on a dedicated connection (a pooled one would be handed to other
 * queries and lose the subscription). A lost connection is reopened with backoff; after each
 * (re)connect the caller refreshes everything, since notifications sent while disconnected are
 * gone. The server's poll covers whatever slips through.
 */
import pg from 'pg';
import { PRODUCTION_CHANNEL } from '../registry/promotions.ts';
import type { Log } from './model-store.ts';

export interface ProductionListenerOptions {
  databaseUrl: string;
  /** A promotion committed (payload: {modelId, versionId}). */
  onPromotion: (payload: string) => void;
  /** Connected (first time or again): anything may have changed meanwhile. */
  onConnected: () => void;
  onStatus?: (connected: boolean) => void;
  log: Log;
}

export class ProductionListener {
  private client: pg.Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs = 500;
  private reportedDown = false;

  constructor(private readonly o: ProductionListenerOptions) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.o.databaseUrl, connectionTimeoutMillis: 5000, keepAlive: true });
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === PRODUCTION_CHANNEL) this.o.onPromotion(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PRODUCTION_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      if (!this.reportedDown) this.o.log(`promotion listener: cannot connect (${(err as Error).message}); retrying, polling meanwhile`);
      this.reportedDown = true;
      this.scheduleRetry();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = 500;
    if (this.reportedDown) this.o.log('promotion listener: connected again');
    this.reportedDown = false;
    this.o.onStatus?.(true);
    this.o.onConnected();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.o.onStatus?.(false);
    client.end().catch(() => undefined);
    if (this.closed) return;
    if (!this.reportedDown) this.o.log('promotion listener: connection lost; reconnecting, polling meanwhile');
    this.reportedDown = true;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}
