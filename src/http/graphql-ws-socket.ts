/**
 * graphql-ws's protocol server (`makeServer`) on `ws` sockets: what `graphql-ws/use/ws` does,
 * with its failures told to the gateway's logger instead of `console.error` (a client sending a
 * message over the size limit is the client's problem, not a line on stderr), and without error
 * messages in close reasons.
 */
import type { IncomingMessage } from "node:http";
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";

const CLOSE_GRACE_MS = 2_000;

/** What each graphql-ws context carries besides the protocol's own state. */
export interface SocketExtra {
  readonly socket: WebSocket;
  /** The upgrade request (headers, remote address). */
  readonly request: IncomingMessage;
}

export interface SocketBindingOptions {
  /** A connection failed (protocol error, oversized message, a handler that threw). */
  onSocketError: (error: unknown) => void;
  /** Ping every so often; a peer that does not answer within as long is dropped. */
  keepAliveMs?: number;
}

/** Serves the protocol on every connection of `wss`; resolves `dispose` once all are closed. */
export function bindGraphQLWs<P extends Record<string, unknown>>(
  options: ServerOptions<P, SocketExtra>,
  wss: WebSocketServer,
  binding: SocketBindingOptions,
): { dispose(): Promise<void> } {
  const server = makeServer<P, SocketExtra>(options);
  const keepAliveMs = binding.keepAliveMs ?? 12_000;
  wss.options.handleProtocols = handleProtocols;
  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    socket.once("error", (error) => {
      binding.onSocketError(error);
      socket.close(CloseCode.InternalServerError, "Internal server error");
    });
    let pongWait: NodeJS.Timeout | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once("pong", () => {
        if (pongWait !== null) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on("message", (data: Buffer) => {
            handle(data.toString("utf8")).catch((error: unknown) => {
              binding.onSocketError(error);
              socket.close(CloseCode.InternalServerError, "Internal server error");
            });
          }),
      },
      { socket, request },
    );
    socket.once("close", (code: number, reason: Buffer) => {
      if (pongWait !== null) clearTimeout(pongWait);
      clearInterval(ping);
      closed(code, reason.toString("utf8")).catch((error: unknown) => binding.onSocketError(error));
    });
  });
  return {
    async dispose() {
      const sockets = [...wss.clients].filter((socket) => socket.readyState !== socket.CLOSED);
      const gone = sockets.map((socket) => new Promise<void>((resolve) => socket.once("close", () => resolve())));
      for (const socket of sockets) {
        socket.close(1001, "Going away");
        // A peer that does not answer the closing handshake is cut, not waited for (ws waits 30 s).
        setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
      }
      await Promise.all(gone);
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
