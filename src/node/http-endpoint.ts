/**
 * A replica's HTTP endpoint on loopback: GET /metrics (Prometheus text) and GET /status (JSON),
 * 404 for anything else.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** What the endpoint serves. */
export interface EndpointSource {
  /** The metrics registry. */
  readonly registry: Registry;
  /** Called before /metrics is rendered, to refresh gauges sampled on demand. */
  readonly beforeMetrics?: () => void;
  /** The /status document. */
  readonly status: () => object;
}

/** Listens on 127.0.0.1:`port`; resolves once listening, rejects if the port cannot be bound. */
export async function serveEndpoint(port: number, source: EndpointSource): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      source.beforeMetrics?.();
      void source.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': source.registry.contentType });
          res.end(text);
        },
        () => res.writeHead(500).end(),
      );
    } else if (req.url === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(source.status()));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** Closes the server (waiting for open requests to finish). */
export function closeEndpoint(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
