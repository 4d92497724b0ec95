// One HTTP request attempt, hardened for talking to a credentials endpoint or STS: a per-attempt
// timeout that also covers the body, no redirects, no proxy, a cap on the body size, and errors
// that name the peer. Both the agent's GET and the STS client's requests (sts/http-handler.ts)
// go through here.

import { ConnectionError, EpicacError, TimeoutError } from "../errors.ts";
import { debug } from "../log.ts";
import { ignoredVariablesRemoved } from "./ignored-variables.ts";
import type { DirectInit } from "./node-request.ts";

/** How messages name the peer being called ("the credentials agent"), and what to check. */
export interface PeerLabel {
  name: string;
  /** What to check when the peer cannot be reached. */
  hint: string;
  /** What to check when it answers with something it should never send (an oversized body). */
  answerHint: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  timeoutMs: number;
  maxBytes: number;
  /** Aborts the attempt from outside (the overall deadline). */
  signal?: AbortSignal;
}

export interface BytesResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export interface TextResponse {
  status: number;
  contentType: string;
  body: string;
}

/** The largest answer epicac reads from any peer; credentials take a few KiB. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A GET whose answer is text (the credentials endpoint's). */
export async function getText(
  url: URL,
  peer: PeerLabel,
  options: RequestOptions,
): Promise<TextResponse> {
  const response = await request(url, peer, { ...options, method: "GET" });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body: new TextDecoder().decode(response.body),
  };
}

export async function request(
  url: URL,
  peer: PeerLabel,
  options: RequestOptions,
): Promise<BytesResponse> {
  const where = `${peer.name} at ${url.origin}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const onOuterAbort = () => controller.abort();
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  // Aborted by our own timer, or by the caller's overall deadline: say which.
  const timeoutError = () =>
    options.signal?.aborted
      ? new TimeoutError(
        `no complete answer from ${where} before the overall deadline`,
        `${peer.hint}, or raise --deadline`,
      )
      : new TimeoutError(
        `no complete answer from ${where} within ${options.timeoutMs / 1000}s`,
        `${peer.hint}, or raise --timeout`,
      );

  try {
    if (options.signal?.aborted) throw timeoutError();
    const started = performance.now();
    let response: Response;
    try {
      response = await send(url, {
        method: options.method ?? "GET",
        headers: options.headers,
        body: options.body,
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) throw timeoutError();
      throw new ConnectionError(
        `cannot connect to ${where}: ${networkReason(error)}`,
        peer.hint,
        error,
      );
    }
    debug(
      `${options.method ?? "GET"} ${url.origin}${url.pathname}: HTTP ${response.status} after ${
        elapsed(started)
      }`,
    );

    if (REDIRECTS.has(response.status)) {
      await response.body?.cancel();
      const target = redirectTarget(response, url);
      throw new EpicacError(
        `${where} answered HTTP ${response.status}, a redirect${target}; redirects are not followed`,
        `${peer.hint}; the endpoint must answer directly`,
      );
    }
    const body = await readCapped(response, options.maxBytes, where, peer).catch((error) => {
      if (controller.signal.aborted) throw timeoutError();
      if (error instanceof EpicacError) throw error;
      throw new ConnectionError(
        `the connection to ${where} broke while reading its answer: ${networkReason(error)}`,
        peer.hint,
        error,
      );
    });
    return { status: response.status, headers: response.headers, body };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}

const DENO = "Deno" in globalThis;

/**
 * The request, sent straight to the peer: never through a proxy, whatever the environment says
 * (a proxy would receive the agent's token in clear), and with certificates checked whatever
 * NODE_TLS_REJECT_UNAUTHORIZED says. Bun's fetch takes both per request. Deno's fetch reads no
 * NODE_TLS_REJECT_UNAUTHORIZED but cannot be told to ignore the proxy variables: the command
 * removes them from its own environment before its first request (ignored-variables.ts), and in
 * a Deno application, whose environment the module leaves alone, the request goes through
 * node:http(s) instead (node-request.ts).
 */
function send(url: URL, init: DirectInit): Promise<Response> {
  if (DENO && !ignoredVariablesRemoved()) {
    return import("./node-request.ts").then(({ directRequest }) => directRequest(url, init));
  }
  return fetch(url, {
    ...init,
    redirect: "manual",
    proxy: false,
    tls: { rejectUnauthorized: true },
    // Bun prints requests, Authorization included, when BUN_CONFIG_VERBOSE_FETCH is set,
    // a variable it reads at start-up; only this per-request option turns that off.
    verbose: false,
  } as RequestInit);
}

/** The body, refusing to buffer more than `maxBytes`. */
async function readCapped(
  response: Response,
  maxBytes: number,
  where: string,
  peer: PeerLabel,
): Promise<Uint8Array> {
  const tooLarge = () =>
    new EpicacError(`${where} sent a body larger than ${maxBytes} bytes`, peer.answerHint);
  const declared = Number(response.headers.get("content-length"));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** " to <host>" for a redirect, never the path or query (they could carry anything). */
function redirectTarget(response: Response, url: URL): string {
  const location = response.headers.get("location");
  if (!location) return "";
  try {
    return ` to ${new URL(location, url).host}`;
  } catch {
    return "";
  }
}

/** A short, stable reason for a network failure (the runtimes word them differently). */
function networkReason(error: unknown): string {
  // Deno wraps the cause ("fetch failed" → "tcp connect error: Connection refused"): read the chain.
  const words: string[] = [];
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") words.push(code);
    words.push(e instanceof Error ? e.message : String(e));
  }
  const text = words.join(" ").toLowerCase();
  if (text.includes("refused")) return "connection refused";
  if (text.includes("reset")) return "connection reset";
  if (text.includes("dns") || text.includes("enotfound") || text.includes("lookup")) {
    return "host name not found";
  }
  if (text.includes("certificate") || text.includes("tls") || text.includes("ssl")) {
    return "TLS failure";
  }
  if (text.includes("unreachable")) return "network unreachable";
  return words.join(": ").split("\n")[0].slice(0, 200);
}

function elapsed(started: number): string {
  return `${(performance.now() - started).toFixed(1)}ms`;
}
