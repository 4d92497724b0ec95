// The listening socket of `epicac serve`, on each runtime's own TCP API (Bun.listen, Deno.listen),
// with the HTTP of http1.ts on every connection. Connections beyond maxConnections are answered
// 503 and closed at once; every connection's deadline is checked four times a second. stop()
// closes the listener, lets requests that are arriving finish for a grace period (answered with
// Connection: close), then closes every connection.

import { Connection, type ConnectionLimits, type Handler, text } from "./http1.ts";
import type { ListenAddress } from "./listen.ts";

export interface ServerLimits extends ConnectionLimits {
  maxConnections: number;
}

export interface Server {
  /** The port listened on (the one the system picked for port 0). */
  port: number;
  stop(graceMs: number): Promise<void>;
}

interface BunSocket {
  data: BunConnection | undefined;
  write(bytes: Uint8Array): number;
  end(): void;
}

interface RuntimeGlobals {
  Bun?: {
    listen(options: {
      hostname: string;
      port: number;
      socket: {
        open(socket: BunSocket): void;
        data(socket: BunSocket, chunk: Uint8Array): void;
        drain(socket: BunSocket): void;
        close(socket: BunSocket): void;
        error?(socket: BunSocket, error: Error): void;
      };
    }): { port: number; stop(closeActive?: boolean): void };
  };
  Deno?: {
    listen(options: { hostname: string; port: number }): DenoListener;
  };
}

interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

interface DenoListener extends AsyncIterable<DenoConn> {
  addr: { port: number };
  close(): void;
}

const BUSY = text(503, "too many connections");
const SWEEP_MS = 250;

/** Check every open connection's deadline on one timer, until stopped. */
function sweep(connections: () => Iterable<Connection>): () => void {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const connection of connections()) connection.expireIfDue(now);
  }, SWEEP_MS);
  return () => clearInterval(timer);
}

export function listen(address: ListenAddress, handler: Handler, limits: ServerLimits): Server {
  const g = globalThis as RuntimeGlobals;
  if (g.Bun) return listenBun(g.Bun, address, handler, limits);
  if (g.Deno) return listenDeno(g.Deno, address, handler, limits);
  throw new Error("epicac serve runs under Bun or Deno");
}

/** A Bun socket's writes: what the kernel did not take waits for the next drain. */
class BunConnection {
  private pending: Uint8Array[] = [];
  private ending = false;
  readonly http: Connection;

  constructor(private readonly socket: BunSocket, handler: Handler, limits: ConnectionLimits) {
    this.http = new Connection(
      { write: (b) => this.write(b), end: () => this.end() },
      handler,
      limits,
    );
  }

  write(bytes: Uint8Array): void {
    if (this.pending.length > 0) {
      this.pending.push(bytes);
      return;
    }
    const written = this.socket.write(bytes);
    if (written < bytes.byteLength) this.pending.push(bytes.subarray(Math.max(0, written)));
  }

  drain(): void {
    while (this.pending.length > 0) {
      const next = this.pending[0];
      const written = this.socket.write(next);
      if (written < next.byteLength) {
        this.pending[0] = next.subarray(Math.max(0, written));
        return;
      }
      this.pending.shift();
    }
    if (this.ending) this.socket.end();
  }

  end(): void {
    this.ending = true;
    if (this.pending.length === 0) this.socket.end();
  }
}

function listenBun(
  bun: NonNullable<RuntimeGlobals["Bun"]>,
  address: ListenAddress,
  handler: Handler,
  limits: ServerLimits,
): Server {
  const open = new Set<BunConnection>();
  const listener = bun.listen({
    hostname: address.hostname,
    port: address.port,
    socket: {
      open(socket) {
        if (open.size >= limits.maxConnections) {
          refuse((bytes) => socket.write(bytes));
          socket.end();
          return;
        }
        const connection = new BunConnection(socket, handler, limits);
        socket.data = connection;
        open.add(connection);
      },
      data(socket, chunk) {
        socket.data?.http.receive(chunk);
      },
      drain(socket) {
        socket.data?.drain();
      },
      close(socket) {
        if (!socket.data) return;
        socket.data.http.close();
        open.delete(socket.data);
      },
      error(socket) {
        socket.data?.http.close();
      },
    },
  });
  const stopSweeping = sweep(() => [...open].map((c) => c.http));
  return {
    port: listener.port,
    async stop(graceMs) {
      listener.stop(false);
      await settle(() => [...open].map((c) => c.http), graceMs);
      stopSweeping();
      listener.stop(true);
    },
  };
}

function listenDeno(
  deno: NonNullable<RuntimeGlobals["Deno"]>,
  address: ListenAddress,
  handler: Handler,
  limits: ServerLimits,
): Server {
  const listener = deno.listen({ hostname: address.hostname, port: address.port });
  const open = new Set<Connection>();
  const serveOne = async (conn: DenoConn) => {
    // Writes go out in order, each whole, one after another.
    let writing = Promise.resolve();
    const write = (bytes: Uint8Array) => {
      writing = writing.then(async () => {
        for (let offset = 0; offset < bytes.byteLength;) {
          offset += await conn.write(bytes.subarray(offset));
        }
      }).catch(() => {});
    };
    if (open.size >= limits.maxConnections) {
      refuse(write);
      await writing;
      conn.close();
      return;
    }
    let closed = false;
    const http = new Connection(
      {
        write,
        end: () => {
          void writing.then(() => {
            if (!closed) conn.close();
            closed = true;
          });
        },
      },
      handler,
      limits,
    );
    open.add(http);
    const buffer = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        http.receive(buffer.slice(0, n));
      }
    } catch {
      // Reset by the peer, or closed by us: either way this connection is done.
    } finally {
      open.delete(http);
      http.close();
    }
  };
  (async () => {
    try {
      for await (const conn of listener) void serveOne(conn);
    } catch {
      // The listener was closed.
    }
  })();
  const stopSweeping = sweep(() => open);
  return {
    port: listener.addr.port,
    async stop(graceMs) {
      listener.close();
      await settle(() => [...open], graceMs);
      stopSweeping();
      for (const connection of open) connection.close();
    },
  };
}

/** Close idle connections at once; busy ones once answered, or when the grace ends. */
async function settle(connections: () => Connection[], graceMs: number): Promise<void> {
  for (const connection of connections()) connection.finishAndClose();
  const until = performance.now() + graceMs;
  while (connections().some((c) => !c.isClosed) && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const connection of connections()) connection.close();
}

function refuse(write: (bytes: Uint8Array) => unknown): void {
  const body = new TextEncoder().encode(BUSY.body);
  write(
    new TextEncoder().encode(
      `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.byteLength}\r\nconnection: close\r\n\r\n${BUSY.body}`,
    ),
  );
}
