// The HTTP/1.1 that `epicac serve` speaks, on loopback, to the SDKs of the pod's containers:
// GET and HEAD requests without bodies, kept alive, one at a time per connection. It is this
// small on purpose, so that every limit is epicac's own and holds under both runtimes: a request
// must arrive whole (request line and headers) within a header timeout, in at most
// maxHeaderBytes, and a connection that sends nothing is closed after an idle timeout. Bytes
// come in through a runtime's socket (server.ts); here they are parsed and answered. Timeouts
// are deadlines a server checks on a timer of its own (expireIfDue), not one timer per request.

/** What the handler sees of a request. Header names are lower case. */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Map<string, string>;
}

export interface HttpResponse {
  status: number;
  /** Content-Type and any other header; Content-Length and Connection are set here. */
  headers: Record<string, string>;
  body: string;
}

export type Handler = (request: HttpRequest) => HttpResponse;

export interface ConnectionLimits {
  /** From the first byte of a request to its last header line. */
  headerTimeoutMs: number;
  maxHeaderBytes: number;
  /** A kept-alive connection with no request in progress is closed after this long. */
  idleTimeoutMs: number;
}

/** What a connection needs from the runtime's socket. */
export interface Socket {
  write(bytes: Uint8Array): void;
  /** Close after what was written has been sent. */
  end(): void;
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const encoder = new TextEncoder();
const HEADER_END = "\r\n\r\n";

/** One client connection: requests parsed as bytes arrive, each answered in order. */
export class Connection {
  // Requests are ASCII; latin1 keeps one character per byte, so lengths are byte counts.
  private buffer = "";
  /** When the connection is closed unless a request completes (or, idle, one starts). */
  private deadline = 0;
  private deadlineStatus: number | undefined;
  private closed = false;
  /** The server stops: answer the request arriving, if any, then close. */
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly handler: Handler,
    private readonly limits: ConnectionLimits,
  ) {
    this.arm();
  }

  /** Bytes from the client. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    const wasIdle = this.buffer === "";
    this.buffer += latin1(chunk);
    if (wasIdle) this.arm();
    for (;;) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) {
        if (this.buffer.length > this.limits.maxHeaderBytes) {
          return this.fail(431, "request headers too large");
        }
        return;
      }
      if (end + HEADER_END.length > this.limits.maxHeaderBytes) {
        return this.fail(431, "request headers too large");
      }
      const head = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + HEADER_END.length);
      const request = parse(head);
      if (typeof request === "string") return this.fail(400, request);
      const keepAlive = !this.closing &&
        (request.headers.get("connection") ?? "").toLowerCase() !== "close" &&
        request.version === "HTTP/1.1";
      let response: HttpResponse;
      try {
        response = this.handler(request);
      } catch {
        response = text(500, "internal error");
      }
      this.send(response, request.method === "HEAD", keepAlive);
      if (!keepAlive) return this.close();
      this.arm();
    }
  }

  /** The client went away, or the server stops: no more writes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
  }

  /** Close the connection if its deadline has passed: 408 for a request still arriving. */
  expireIfDue(now = Date.now()): void {
    if (this.closed || now < this.deadline) return;
    if (this.deadlineStatus) this.fail(this.deadlineStatus, "request not received in time");
    else this.close();
  }

  /** Close now if no request is arriving; else once it is answered (a stopping server). */
  finishAndClose(): void {
    this.closing = true;
    if (this.buffer === "") this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The header timeout while a request is arriving, the idle timeout between requests. */
  private arm(): void {
    const idle = this.buffer === "";
    this.deadline = Date.now() + (idle ? this.limits.idleTimeoutMs : this.limits.headerTimeoutMs);
    this.deadlineStatus = idle ? undefined : 408;
  }

  private fail(status: number, message: string): void {
    this.send(text(status, message), false, false);
    this.close();
  }

  private send(response: HttpResponse, head: boolean, keepAlive: boolean): void {
    if (this.closed) return;
    this.socket.write(encode(response, head, keepAlive));
  }
}

/** The bytes of an answer, built once per response object and framing (see `cacheable`). */
interface Encoded {
  keepAlive?: Uint8Array;
  close?: Uint8Array;
}
const encodedAnswers = new WeakMap<HttpResponse, Encoded>();

/**
 * Mark a response the handler gives again and again as it is (a route's credentials): its bytes
 * are then built once, not per request.
 */
export function cacheable(response: HttpResponse): HttpResponse {
  encodedAnswers.set(response, {});
  return response;
}

function encode(response: HttpResponse, head: boolean, keepAlive: boolean): Uint8Array {
  const cache = head ? undefined : encodedAnswers.get(response);
  const framing = keepAlive ? "keepAlive" : "close";
  const cached = cache?.[framing];
  if (cached) return cached;
  const body = encoder.encode(response.body);
  let out = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? "Status"}\r\n`;
  for (const [name, value] of Object.entries(response.headers)) out += `${name}: ${value}\r\n`;
  out += `content-length: ${body.byteLength}\r\nconnection: ${
    keepAlive ? "keep-alive" : "close"
  }\r\n\r\n`;
  const headBytes = encoder.encode(out);
  if (head || body.byteLength === 0) return headBytes;
  const bytes = new Uint8Array(headBytes.byteLength + body.byteLength);
  bytes.set(headBytes);
  bytes.set(body, headBytes.byteLength);
  if (cache) cache[framing] = bytes;
  return bytes;
}

/** A plain-text answer, one line, as the Pod Identity agent gives its failures. */
export function text(status: number, message: string): HttpResponse {
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: `${message}\n`,
  };
}

/** The request line and headers, or why they are refused. */
function parse(head: string): (HttpRequest & { version: string }) | string {
  const lines = head.split("\r\n");
  const line = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0]);
  if (!line) return "malformed request line";
  const headers = new Map<string, string>();
  for (const header of lines.slice(1)) {
    const colon = header.indexOf(":");
    if (colon < 1 || /[\s]/.test(header.slice(0, colon))) return "malformed header";
    const name = header.slice(0, colon).toLowerCase();
    const value = header.slice(colon + 1).trim();
    if (headers.has(name)) {
      // A second Authorization (or length) could mean two things to two readers: refuse it.
      if (name === "authorization" || name === "content-length" || name === "host") {
        return `duplicate ${name} header`;
      }
      headers.set(name, `${headers.get(name)}, ${value}`);
    } else {
      headers.set(name, value);
    }
  }
  // No request this server takes has a body; one that says it has could smuggle another.
  if (headers.has("transfer-encoding") || (headers.get("content-length") ?? "0") !== "0") {
    return "a request body is not accepted";
  }
  return { method: line[1], path: line[2], version: line[3], headers };
}

// windows-1252 as browsers define "latin1": one character per byte, so lengths are byte counts,
// and the bytes this server reads (ASCII) come out as they are.
const latin1Decoder = new TextDecoder("latin1");

function latin1(bytes: Uint8Array): string {
  return latin1Decoder.decode(bytes);
}
