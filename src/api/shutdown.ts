/**
 * Graceful HTTP shutdown. First it keeps accepting for `acceptMs` (SHUTDOWN_DELAY_MS):
 * connections already queued in the kernel would otherwise be reset when the listener
 * closes, and a load balancer needs a moment to see /readyz turn 503. Then: Node's http Server.close() also closes "idle" connections,
 * and a connection whose request is still arriving counts as idle: its client would
 * get ECONNRESET for a request it already sent. So: stop listening only (net close),
 * let every request in progress finish (its response says Connection: close), close
 * keep-alive connections as soon as they are between requests, give just-accepted
 * connections a moment for their request to arrive, and cut what is left after the
 * grace period.
 */
import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { Logger } from '../observability/logger';

/** How long a connection accepted before the signal may take to send its first request. */
const FIRST_REQUEST_WAIT_MS = 1_000;

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

  const closeIdle = (includeFresh: boolean) => {
    for (const [socket, n] of active) if (n === 0 && (includeFresh || served.has(socket))) socket.end();
  };

  return {
    stop: async () => {
      stopping = true;
      logger.info({ open_connections: active.size, accept_ms: opts.acceptMs }, 'shutting down: finishing in-flight requests');
      await new Promise((r) => setTimeout(r, opts.acceptMs));
      return new Promise<void>((resolve) => {
        NetServer.prototype.close.call(server, () => resolve());
        closeIdle(false);
        setTimeout(() => closeIdle(true), FIRST_REQUEST_WAIT_MS).unref();
        setTimeout(() => {
          if (active.size) logger.warn({ open_connections: active.size }, 'grace period over: closing remaining connections');
          for (const socket of active.keys()) socket.destroy();
        }, opts.graceMs).unref();
      });
    },
  };
}
