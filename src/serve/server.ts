// The listening socket of `epicac serve`, on each runtime's own TCP API (Bun.listen, Deno.listen),
// with the HTTP of http1.ts on every connection. At most maxConnections are open: a newcomer
// beyond that closes one of the connections of the client address holding the most, the one
// idle longest (or, none idle, the one busy longest, whose request or answer the header or write
// timeout would soon end anyway), so that no client can lock others out by holding connections,
// and one that opens them as fast as it can mostly closes its own. Every connection's deadlines
// are checked four times a second. stop() closes the listener, lets requests that are arriving
// finish for a grace period (answered with Connection: close), then closes every connection.

import { Connection, type ConnectionLimits, type Handler, type Socket } from "./http1.ts";
import type { ListenAddress } from "./listen.ts";

export interface ServerLimits extends ConnectionLimits {
  maxConnections: number;
  /** Connections one client address may hold: beyond, its own idle longest makes room. */
  maxPerAddress?: number;
}

export interface Server {
  /** The port listened on (the one the system picked for port 0). */
  port: number;
  stop(graceMs: number): Promise<void>;
}

interface BunSocket {
  data: BunConnection | undefined;
  remoteAddress: string;
  write(bytes: Uint8Array): number;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
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
  remoteAddr: { hostname?: string };
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

interface DenoListener extends AsyncIterable<DenoConn> {
  addr: { port: number };
  close(): void;
}

const SWEEP_MS = 250;

/** The open connections of one listener, by client address: admitted within the cap, swept. */
class Connections {
  private readonly open = new Map<Connection, string>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly max: number, private readonly perAddress = Infinity) {
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const connection of this.open.keys()) connection.expireIfDue(now);
    }, SWEEP_MS);
  }

  /**
   * Make room for one more: over the listener's cap, close the connection idle longest of the
   * address holding the most (busy longest when none is idle). Over its address's own cap, close
   * that address's connection idle longest; false, and the newcomer is not admitted, when every
   * one of them is answering a request (a burst of the address's own is not cut short).
   */
  admit(connection: Connection, address: string): boolean {
    const held = new Map<string, number>();
    let most = address;
    for (const a of this.open.values()) {
      held.set(a, (held.get(a) ?? 0) + 1);
      if (held.get(a)! > (held.get(most) ?? 0)) most = a;
    }
    if ((held.get(address) ?? 0) >= this.perAddress) {
      const idle = this.oldestOf(address);
      if (!idle?.idle) return false;
      this.close(idle);
    } else if (this.open.size >= this.max) {
      this.close(this.oldestOf(most)!);
    }
    this.open.set(connection, address);
    return true;
  }

  /** The address's connection idle longest (none idle: busy longest). */
  private oldestOf(address: string): Connection | undefined {
    let oldest: Connection | undefined;
    for (const [c, a] of this.open) {
      if (
        a === address &&
        (!oldest || (c.idle && !oldest.idle) ||
          (c.idle === oldest.idle && c.since < oldest.since))
      ) oldest = c;
    }
    return oldest;
  }

  private close(connection: Connection): void {
    this.open.delete(connection);
    if (connection.idle) connection.close();
    else connection.destroy();
  }

  remove(connection: Connection): void {
    this.open.delete(connection);
  }

  /** Close idle connections at once; busy ones once answered, or when the grace ends. */
  async settle(graceMs: number): Promise<void> {
    for (const connection of this.open.keys()) connection.finishAndClose();
    const until = performance.now() + graceMs;
    while ([...this.open.keys()].some((c) => !c.isClosed) && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    clearInterval(this.timer);
    for (const connection of this.open.keys()) connection.destroy();
  }
}

export function listen(address: ListenAddress, handler: Handler, limits: ServerLimits): Server {
  const g = globalThis as RuntimeGlobals;
  if (g.Bun) return listenBun(g.Bun, address, handler, limits);
  if (g.Deno) return listenDeno(g.Deno, address, handler, limits);
  throw new Error("epicac serve runs under Bun or Deno");
}

/** A Bun socket's writes: what the kernel did not take waits for the next drain. */
class BunConnection implements Socket {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private ending = false;
  private gone = false;
  readonly http: Connection;

  constructor(
    private readonly socket: BunSocket,
    handler: Handler,
    limits: ConnectionLimits,
    remote: string,
  ) {
    this.http = new Connection(this, handler, limits, remote);
  }

  write(bytes: Uint8Array): boolean {
    if (this.gone) return true;
    if (this.pendingBytes === 0) {
      const written = Math.max(0, this.socket.write(bytes));
      if (written === bytes.byteLength) return true;
      bytes = bytes.subarray(written);
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.byteLength;
    this.http.queued(this.pendingBytes);
    return false;
  }

  drain(): void {
    while (this.pending.length > 0 && !this.gone) {
      const next = this.pending[0];
      const written = Math.max(0, this.socket.write(next));
      this.pendingBytes -= written;
      if (written < next.byteLength) {
        this.pending[0] = next.subarray(written);
        return;
      }
      this.pending.shift();
    }
    if (this.ending) this.close();
    else this.http.drained();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.ending = true;
    if (this.pendingBytes === 0) this.close();
  }

  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.socket.terminate();
  }

  /** The socket closed (by either side). */
  closed(): void {
    this.gone = true;
    this.http.destroy();
  }

  private close(): void {
    if (this.gone) return;
    this.gone = true;
    this.socket.end();
  }
}

function listenBun(
  bun: NonNullable<RuntimeGlobals["Bun"]>,
  address: ListenAddress,
  handler: Handler,
  limits: ServerLimits,
): Server {
  const open = new Connections(limits.maxConnections, limits.maxPerAddress);
  const listener = bun.listen({
    hostname: address.hostname,
    port: address.port,
    socket: {
      open(socket) {
        const connection = new BunConnection(socket, handler, limits, socket.remoteAddress);
        socket.data = connection;
        if (!open.admit(connection.http, socket.remoteAddress)) connection.destroy();
      },
      data(socket, chunk) {
        socket.data?.http.receive(chunk);
      },
      drain(socket) {
        socket.data?.drain();
      },
      close(socket) {
        if (!socket.data) return;
        socket.data.closed();
        open.remove(socket.data.http);
      },
      error(socket) {
        socket.data?.destroy();
      },
    },
  });
  return {
    port: listener.port,
    async stop(graceMs) {
      listener.stop(false);
      await open.settle(graceMs);
      listener.stop(true);
    },
  };
}

/** A Deno connection: reads stop while paused; writes go out in order, one at a time. */
class DenoConnection implements Socket {
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private ending = false;
  private gone = false;
  private paused = false;
  private wake: (() => void) | undefined;
  readonly http: Connection;

  constructor(
    private readonly conn: DenoConn,
    handler: Handler,
    limits: ConnectionLimits,
    private readonly onGone: () => void,
  ) {
    this.http = new Connection(this, handler, limits, conn.remoteAddr.hostname);
  }

  /** Read and answer until the client leaves or the connection is closed. */
  async serve(): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        while (this.paused && !this.gone) {
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
        const n = this.gone ? null : await this.conn.read(buffer);
        if (n === null) break;
        this.http.receive(buffer.subarray(0, n));
      }
    } catch {
      // Reset by the peer, or closed by us: either way this connection is done.
    }
    // The client finished sending: what is queued still goes out, then the connection closes.
    this.http.close();
  }

  write(bytes: Uint8Array): boolean {
    if (this.gone) return true;
    this.queue.push(bytes);
    this.queuedBytes += bytes.byteLength;
    if (this.queue.length === 1) void this.flush();
    return false;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wakeReader();
  }

  end(): void {
    this.ending = true;
    if (this.queuedBytes === 0) this.destroy();
  }

  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.wakeReader();
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    this.http.destroy();
    this.onGone();
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const bytes = this.queue[0];
        const written = await this.conn.write(bytes);
        this.queuedBytes -= written;
        if (written < bytes.byteLength) {
          // The kernel's buffer is full: what it left over is held here.
          this.queue[0] = bytes.subarray(written);
          this.http.queued(this.queuedBytes);
        } else {
          this.queue.shift();
        }
      }
    } catch {
      return this.destroy();
    }
    if (this.gone) return;
    if (this.ending) this.destroy();
    else this.http.drained();
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function listenDeno(
  deno: NonNullable<RuntimeGlobals["Deno"]>,
  address: ListenAddress,
  handler: Handler,
  limits: ServerLimits,
): Server {
  const listener = deno.listen({ hostname: address.hostname, port: address.port });
  const open = new Connections(limits.maxConnections, limits.maxPerAddress);
  (async () => {
    try {
      for await (const conn of listener) {
        const connection: DenoConnection = new DenoConnection(
          conn,
          handler,
          limits,
          () => open.remove(connection.http),
        );
        if (open.admit(connection.http, conn.remoteAddr.hostname ?? "")) void connection.serve();
        else connection.destroy();
      }
    } catch {
      // The listener was closed.
    }
  })();
  return {
    port: listener.addr.port,
    async stop(graceMs) {
      listener.close();
      await open.settle(graceMs);
    },
  };
}
