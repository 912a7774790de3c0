/**
 * Graceful HTTP shutdown. First it keeps accepting for `acceptMs` (SHUTDOWN_DELAY_MS):
 * connections already queued in the kernel would otherwise be reset when the listener
 * closes, and a load balancer needs a moment to see /readyz turn 503. Then it stops
 * listening, but not with Node's http Server.close(): that also closes "idle"
 * connections, and a connection whose request is still arriving counts as idle, so its
 * client would get ECONNRESET for a request it already sent. Instead: net close only,
 * every request in progress finishes (its response says Connection: close), keep-alive
 * connections close as soon as they are between requests, silent ones after two sweeps
 * (see sweep), and whatever is left is cut after the grace period.
 */
import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { Logger } from '../observability/logger';

/** How often, after the listener closed, connections with nothing in progress are checked. */
const SWEEP_MS = 250;

export function trackConnections(server: Server, logger: Logger, opts: { graceMs: number; acceptMs: number }): { stop: () => Promise<void> } {
  const active = new Map<Socket, number>();
  const served = new WeakSet<Socket>();
  let stopping = false;

  server.on('connection', (socket: Socket) => {
    active.set(socket, 0);
    socket.once('close', () => active.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    if (stopping) res.setHeader('Connection', 'close');
    res.once('close', () => {
      active.set(socket, (active.get(socket) ?? 1) - 1);
      served.add(socket);
      if (stopping && active.get(socket) === 0) socket.end();
    });
  });

  // A connection that never sent a byte is closed only when it has read nothing over two
  // sweeps: between two timer callbacks the event loop polls every socket, so a request
  // already in the kernel would have been read, even in a process too busy to keep time.
  const silentOnce = new WeakSet<Socket>();
  const sweep = () => {
    for (const [socket, n] of active) {
      if (n !== 0) continue;
      if (served.has(socket)) socket.end();
      else if (socket.bytesRead === 0) {
        if (silentOnce.has(socket)) socket.end();
        else silentOnce.add(socket);
      }
      // Bytes read but no complete request yet: headersTimeout or the grace period ends it.
    }
  };

  return {
    stop: async () => {
      stopping = true;
      logger.info({ open_connections: active.size, accept_ms: opts.acceptMs }, 'shutting down: finishing in-flight requests');
      await new Promise((r) => setTimeout(r, opts.acceptMs));
      return new Promise<void>((resolve) => {
        const sweeper = setInterval(sweep, SWEEP_MS);
        NetServer.prototype.close.call(server, () => {
          clearInterval(sweeper);
          resolve();
        });
        logger.info({ open_connections: active.size }, 'stopped listening');
        sweep();
        setTimeout(() => {
          if (active.size) logger.warn({ open_connections: active.size }, 'grace period over: closing remaining connections');
          for (const socket of active.keys()) socket.destroy();
        }, opts.graceMs).unref();
      });
    },
  };
}
