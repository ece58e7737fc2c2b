/**
 * The controller's HTTP endpoints: /metrics (Prometheus text), /healthz (the process serves),
 * /readyz (caches synced and, with leader election, either leading or a healthy standby).
 */
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import type { ControllerMetrics } from './metrics.js';

/** What the probes ask of the running process. */
export interface HealthSource {
  /** False once the process is shutting down or a fatal loop stopped. */
  healthy(): boolean;
  /** True when the controller could do its work (informers synced, or standing by for the lease). */
  ready(): boolean;
}

/** Builds the Hono app (usable with app.request() in tests). */
export function buildApp(metrics: ControllerMetrics, health: HealthSource): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const body = await metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': metrics.registry.contentType });
  });
  app.get('/healthz', (c) => (health.healthy() ? c.text('ok') : c.text('unhealthy', 500)));
  app.get('/readyz', (c) => (health.ready() ? c.text('ok') : c.text('not ready', 503)));
  return app;
}

/** Parses "host:port" or ":port" (all interfaces). */
export function parseAddr(addr: string): { hostname: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = i <= 0 ? '0.0.0.0' : addr.slice(0, i);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--metrics-addr ${JSON.stringify(addr)}: expected host:port or :port`);
  }
  return { hostname: host, port };
}

/** Starts serving; resolves with the server and the bound port. */
export function startServer(
  app: Hono,
  addr: string,
): Promise<{ server: ServerType; port: number }> {
  const { hostname, port } = parseAddr(addr);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port }, (info) => {
      resolve({ server, port: info.port });
    });
    server.once('error', reject);
  });
}
