/**
 * The controller's HTTP endpoints: /metrics (Prometheus text), /healthz (the process serves),
 * /readyz (caches synced and, with leader election, either leading or a healthy standby).
 */
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { isIP } from 'node:net';
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

/**
 * Parses "host:port", "[v6]:port" or ":port" (all interfaces). Throws an Error naming the flag for
 * anything else, including a host that looks like an IPv4 address and is not one (999.1.1.1),
 * which would otherwise be looked up as a host name.
 */
export function parseAddr(addr: string): { hostname: string; port: number } {
  const i = addr.lastIndexOf(':');
  let host = i < 0 ? '' : addr.slice(0, i);
  const portText = addr.slice(i + 1);
  const port = Number(portText);
  const bad = (why: string): Error =>
    new Error(`--metrics-addr ${JSON.stringify(addr)}: ${why}; expected host:port or :port`);
  if (i < 0 || portText === '' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw bad('no valid port');
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    if (isIP(host) !== 6) throw bad(`${host} is not an IPv6 address`);
  } else if (/^[\d.]+$/.test(host) && isIP(host) !== 4) {
    throw bad(`${host} is not an IPv4 address`);
  } else if (host.includes(':') || /[\s/]/.test(host)) {
    throw bad(`${JSON.stringify(host)} is not a host (write IPv6 addresses as [addr]:port)`);
  }
  return { hostname: host === '' ? '0.0.0.0' : host, port };
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
