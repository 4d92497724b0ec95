// The HTTP/1.1 that `epicac serve` speaks, on loopback, to the SDKs of the pod's containers:
// GET and HEAD requests without bodies, kept alive, one at a time per connection. It is this
// small on purpose, so that every limit is epicac's own and holds under both runtimes: a request
// must arrive whole (request line and headers) within a header timeout, in at most
// maxHeaderBytes, and a connection that sends nothing is closed after an idle timeout. While an
// answer waits for the client to take it, nothing more is parsed and the socket stops reading,
// so a client that sends and never reads holds at most one answer and maxQueuedBytes of
// requests, for at most the write timeout. Bytes come in through a runtime's socket
// (server.ts); here they are parsed and answered. Timeouts are deadlines a server checks on a
// timer of its own (expireIfDue), not one timer per request.

/** What the handler sees of a request. Header names are lower case. */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Map<string, string>;
  /** The client's address, as the listener saw it. */
  remote?: string;
}

export interface HttpResponse {
  status: number;
  /** Content-Type and any other header; Content-Length and Connection are set here. */
  headers: Record<string, string>;
  body: string;
}

/**
 * An answer now, or later (epicac node asks the agent and STS first): until it comes, nothing
 * more is parsed and the socket stops reading, as while an answer waits to be taken.
 */
export type Handler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export interface ConnectionLimits {
  /** From the first byte of a request to its last header line. */
  headerTimeoutMs: number;
  maxHeaderBytes: number;
  /** A kept-alive connection with no request in progress is closed after this long. */
  idleTimeoutMs: number;
  /** Output the kernel did not take, and requests held unparsed behind it: more closes. */
  maxQueuedBytes: number;
  /** An answer the client has not taken whole this long after it was queued closes. */
  writeTimeoutMs: number;
}

/** What a connection needs from the runtime's socket. */
export interface Socket {
  /**
   * Send: what the kernel does not take now is queued, and sent as it can take it. Returns
   * whether all went out at once; if not, the socket calls the connection's queued() with what
   * the kernel left over, and drained() once the queue is empty.
   */
  write(bytes: Uint8Array): boolean;
  /** Stop delivering the client's bytes (they wait in the kernel), until resume(). */
  pause(): void;
  resume(): void;
  /** Close once what is queued has been sent. */
  end(): void;
  /** Close now; what is queued is dropped. */
  destroy(): void;
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
const decoder = new TextDecoder();
const NOTHING = new Uint8Array(0);
/** CR LF CR LF, the end of a request's head, is 4 bytes. */
const HEAD_END_BYTES = 4;

/** One client connection: requests parsed as bytes arrive, each answered in order. */
export class Connection {
  /**
   * The client's bytes not parsed yet: `input` from `start`. During receive() that is the
   * runtime's chunk; after, a copy of what it left (runtimes reuse their buffers). Bytes, not a
   * string: a flood of chunks never becomes strings bigger than one request's head.
   */
  private input: Uint8Array = NOTHING;
  private start = 0;
  /** Where, after `start`, the search for the end of the head resumes. */
  private scanned = 0;
  /** When the connection is closed unless a request completes (or, idle, one starts). */
  private deadline = 0;
  /** A request is arriving: its deadline is the header timeout, answered 408. */
  private arriving = false;
  /** An answer is queued unsent: nothing is parsed, and the socket is paused, until drained. */
  private writing = false;
  /** The handler's answer is still to come: likewise. */
  private handling = false;
  /** When the queued answer must have been taken; 0 while nothing is queued. */
  private writeDeadline = 0;
  /** No more requests are answered (ended or destroyed). */
  private closed = false;
  /** The server stops: answer the request arriving, if any, then close. */
  private closing = false;
  /** Since when the connection has been idle, or busy, whichever it is now (see `idle`). */
  since = Date.now();

  constructor(
    private readonly socket: Socket,
    private readonly handler: Handler,
    private readonly limits: ConnectionLimits,
    private readonly remote?: string,
  ) {
    this.arm();
  }

  /** Bytes from the client. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    const wasIdle = this.idle;
    this.input = this.unparsed === 0 ? chunk : concat(this.input.subarray(this.start), chunk);
    this.start = 0;
    if (!this.waiting) {
      if (wasIdle) this.arm();
      this.answerBuffered();
    }
    this.keepRest(chunk);
  }

  /** The socket holds this many bytes the kernel did not take: too many closes. */
  queued(bytes: number): void {
    if (bytes > this.limits.maxQueuedBytes) this.destroy();
  }

  /** The socket sent everything that was queued. */
  drained(): void {
    this.writeDeadline = 0;
    if (!this.writing || this.closed) return;
    this.writing = false;
    this.resume();
  }

  /** Close once what was written has been sent; no more requests are answered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
  }

  /** Close now (the client went away, or must go): nothing more is sent. */
  destroy(): void {
    this.closed = true;
    this.writeDeadline = 0;
    this.socket.destroy();
  }

  /** Close if a deadline has passed: 408 for a request still arriving; at once for a write. */
  expireIfDue(now = Date.now()): void {
    if (this.writeDeadline !== 0 && now >= this.writeDeadline) return this.destroy();
    // A handler's answer is bounded by its own deadline (epicac node's chain), not here.
    if (this.closed || this.waiting || now < this.deadline) return;
    if (this.arriving) this.fail(408, "request not received in time");
    else this.close();
  }

  /** Close now if no request is in progress; else once it is answered (a stopping server). */
  finishAndClose(): void {
    this.closing = true;
    if (this.idle) this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** No request in progress: none arriving, none being answered, no answer waiting to be taken. */
  get idle(): boolean {
    return this.unparsed === 0 && !this.waiting && !this.closed;
  }

  /** An answer is still to come, or still to be taken: the socket is paused. */
  private get waiting(): boolean {
    return this.writing || this.handling;
  }

  /** Read and answer again, after an answer was taken or came. */
  private resume(): void {
    this.socket.resume();
    this.arm();
    this.answerBuffered();
    this.keepRest();
    if (this.closing && this.idle) this.close();
  }

  private get unparsed(): number {
    return this.input.byteLength - this.start;
  }

  /** Keep what is left unparsed as a copy of its own, within its bound; or nothing. */
  private keepRest(chunk?: Uint8Array): void {
    const rest = this.unparsed;
    if (rest === 0 || this.closed) {
      this.input = NOTHING;
      this.start = 0;
      return;
    }
    // Requests pipelined behind an answer not sent or not taken: kept, up to a bound.
    if (this.waiting && rest > this.limits.maxQueuedBytes) return this.destroy();
    if (this.input === chunk || this.start > 0) {
      this.input = this.input.slice(this.start);
      this.start = 0;
    }
  }

  private answerBuffered(): void {
    const limits = this.limits;
    while (!this.waiting && !this.closed) {
      const end = headEnd(this.input, this.start + this.scanned);
      const size = end < 0 ? this.unparsed : end + HEAD_END_BYTES - this.start;
      if (size > limits.maxHeaderBytes) return this.fail(431, "request headers too large");
      if (end < 0) {
        this.scanned = Math.max(0, size - HEAD_END_BYTES + 1);
        return;
      }
      const head = latin1(this.input.subarray(this.start, end));
      this.start = end + HEAD_END_BYTES;
      this.scanned = 0;
      const request = parse(head);
      if (typeof request === "string") return this.fail(400, request);
      request.remote = this.remote;
      const keepAlive = !this.closing &&
        (request.headers.get("connection") ?? "").toLowerCase() !== "close" &&
        request.version === "HTTP/1.1";
      let response: HttpResponse | Promise<HttpResponse>;
      try {
        response = this.handler(request);
      } catch {
        response = INTERNAL_ERROR;
      }
      if (response instanceof Promise) return this.answerLater(response, request, keepAlive);
      this.answer(response, request, keepAlive);
      if (this.closed) return;
      this.arm();
    }
  }

  /** An answer that comes later: the socket paused until it is sent. */
  private answerLater(
    pending: Promise<HttpResponse>,
    request: HttpRequest,
    keepAlive: boolean,
  ): void {
    this.handling = true;
    this.since = Date.now();
    this.socket.pause();
    void pending.catch(() => INTERNAL_ERROR).then((response) => {
      this.handling = false;
      if (this.closed) return;
      this.answer(response, request, keepAlive);
      if (!this.closed && !this.writing) this.resume();
    });
  }

  private answer(response: HttpResponse, request: HttpRequest, keepAlive: boolean): void {
    this.send(response, request.method === "HEAD", keepAlive);
    if (!keepAlive) this.close();
  }

  /** The header timeout while a request is arriving, the idle timeout between requests. */
  private arm(): void {
    const arriving = this.unparsed > 0;
    const now = Date.now();
    if (arriving !== this.arriving) this.since = now;
    this.arriving = arriving;
    this.deadline = now + (arriving ? this.limits.headerTimeoutMs : this.limits.idleTimeoutMs);
  }

  private fail(status: number, message: string): void {
    this.send(text(status, message), false, false);
    this.close();
  }

  private send(response: HttpResponse, head: boolean, keepAlive: boolean): void {
    if (this.closed || this.socket.write(encode(response, head, keepAlive)) || this.closed) {
      return;
    }
    this.writing = true;
    this.since = Date.now();
    this.writeDeadline = this.since + this.limits.writeTimeoutMs;
    this.socket.pause();
  }
}

/**
 * A response a handler gives again and again as it is (a route's credentials, a fixed refusal),
 * built into the bytes of a kept-alive answer once, and holding those bytes and little else:
 * `epicac node` keeps one for every pod and route. A HEAD or a closing answer, rarer, is built
 * from them when asked.
 */
class PreparedResponse implements HttpResponse {
  readonly bytes: Uint8Array;
  private readonly bodyStart: number;

  constructor(readonly status: number, readonly headers: Record<string, string>, body: string) {
    const head = frame(status, headers, body, true);
    this.bytes = encoder.encode(head + body);
    this.bodyStart = encoder.encode(head).byteLength;
  }

  get body(): string {
    return decoder.decode(this.bytes.subarray(this.bodyStart));
  }
}

/** Mark a response the handler gives again and again as it is: its bytes are built once. */
export function cacheable(response: HttpResponse): HttpResponse {
  return new PreparedResponse(response.status, response.headers, response.body);
}

function encode(response: HttpResponse, head: boolean, keepAlive: boolean): Uint8Array {
  if (response instanceof PreparedResponse && keepAlive && !head) return response.bytes;
  const { status, headers, body } = response;
  const framed = frame(status, headers, body, keepAlive);
  // One array per answer: a client flooding the server makes it build as little as possible.
  return encoder.encode(head ? framed : framed + body);
}

/** The status line and headers of an answer, for a kept-alive or a closing connection. */
function frame(
  status: number,
  headers: Record<string, string>,
  body: string,
  keepAlive: boolean,
): string {
  // A printable ASCII body's length is its byte count; only a rare cause message may differ.
  const length = PRINTABLE.test(body) ? body.length : encoder.encode(body).byteLength;
  let out = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n`;
  for (const [name, value] of Object.entries(headers)) out += `${name}: ${value}\r\n`;
  return out +
    `content-length: ${length}\r\nconnection: ${keepAlive ? "keep-alive" : "close"}\r\n\r\n`;
}

const PRINTABLE = /^[ -~\n]*$/;

/** A plain-text answer, one line, as the Pod Identity agent gives its failures. */
export function text(status: number, message: string): HttpResponse {
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: `${message}\n`,
  };
}

/** What a handler that failed in a way it did not foresee answers: the cause stays inside. */
const INTERNAL_ERROR = text(500, "internal error");

/**
 * The request line and headers, or why they are refused. At least as strict as llhttp (a test
 * compares them): the head is ASCII, its lines end in CR LF and hold no other control byte but
 * tab, the target is visible, a header's name is a token and only spaces and tabs around its
 * value are trimmed, so that no byte is read one way here and another way by another reader.
 */
function parse(head: string): (HttpRequest & { version: string }) | string {
  const lines = head.split("\r\n");
  const line = /^([A-Z]+) ([!-~]+) (HTTP\/1\.[01])$/.exec(lines[0]);
  if (!line) return "malformed request line";
  const headers = new Map<string, string>();
  for (const header of lines.slice(1)) {
    const colon = header.indexOf(":");
    if (colon < 0) return "malformed header";
    const name = header.slice(0, colon).toLowerCase();
    // Optional whitespace is space and tab, nothing else (a no-break space is refused below).
    const value = header.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) return "malformed header";
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

const TOKEN = /^[-!#$%&'*+.^_`|~0-9a-z]+$/;
/** Visible ASCII, spaces and tabs. */
const FIELD_VALUE = /^[\t -~]*$/;

/** Where CR LF CR LF starts in `bytes`, searching from `from`; -1 if nowhere yet. */
function headEnd(bytes: Uint8Array, from: number): number {
  const last = bytes.byteLength - HEAD_END_BYTES;
  for (let cr = bytes.indexOf(13, from); cr >= 0 && cr <= last; cr = bytes.indexOf(13, cr + 1)) {
    if (bytes[cr + 1] === 10 && bytes[cr + 2] === 13 && bytes[cr + 3] === 10) return cr;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const both = new Uint8Array(a.byteLength + b.byteLength);
  both.set(a);
  both.set(b, a.byteLength);
  return both;
}

// windows-1252 as browsers define "latin1": one character per byte, so lengths are byte counts,
// and the bytes this server reads (ASCII) come out as they are.
const latin1Decoder = new TextDecoder("latin1");

function latin1(bytes: Uint8Array): string {
  return latin1Decoder.decode(bytes);
}
