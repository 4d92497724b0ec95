// The STS client's HTTP handler: every STS request goes through http/request.ts, so an STS
// attempt is bounded like an agent attempt (--timeout covers the whole answer, body included,
// which the SDK's own handler does not: its timeout only fires while the socket is idle), its
// answer is capped at MAX_RESPONSE_BYTES, redirects are refused and proxies never used. Errors
// are shaped for the SDK's standard retry strategy: timeouts and connection failures are
// retried, an abort by the overall deadline and a refused answer are not.

import { EpicacError } from "../errors.ts";
import { MAX_RESPONSE_BYTES, type PeerLabel, request } from "../http/request.ts";

/** The part of the SDK's HttpRequest the handler reads. */
interface SdkRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

const STS: PeerLabel = {
  name: "STS",
  hint:
    "check network access to the STS endpoint, --sts-endpoint / AWS_ENDPOINT_URL_STS and the region",
  answerHint: "check that --sts-endpoint / AWS_ENDPOINT_URL_STS points at STS",
};

// Set by the transport itself; the SDK's values would be refused or duplicated by fetch.
const TRANSPORT_HEADERS = new Set(["host", "content-length", "connection", "transfer-encoding"]);

export class StsHttpHandler {
  readonly metadata = { handlerProtocol: "http/1.1" };
  constructor(private readonly timeoutMs: number) {}

  async handle(
    sdkRequest: SdkRequest,
    options: { abortSignal?: unknown } = {},
  ): Promise<
    { response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }
  > {
    // The SDK's own AbortSignal type; at run time it is the run's deadline signal.
    const signal = options.abortSignal as AbortSignal | undefined;
    if (signal?.aborted) throw aborted();
    const url = new URL(
      `${sdkRequest.protocol}//${sdkRequest.hostname}${
        sdkRequest.port ? `:${sdkRequest.port}` : ""
      }${sdkRequest.path}`,
    );
    for (const [name, value] of Object.entries(sdkRequest.query ?? {})) {
      for (const one of Array.isArray(value) ? value : [value ?? ""]) {
        url.searchParams.append(name, one);
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(sdkRequest.headers)) {
      if (!TRANSPORT_HEADERS.has(name.toLowerCase())) headers[name] = value;
    }
    const body = typeof sdkRequest.body === "string" || sdkRequest.body instanceof Uint8Array
      ? sdkRequest.body
      : undefined;
    try {
      const response = await request(url, STS, {
        method: sdkRequest.method,
        headers,
        body,
        timeoutMs: this.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
        signal,
      });
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => (responseHeaders[name] = value));
      return {
        response: { statusCode: response.status, headers: responseHeaders, body: response.body },
      };
    } catch (error) {
      if (signal?.aborted) throw aborted();
      // The SDK's standard retry strategy retries what is marked $retryable.
      if (error instanceof EpicacError && error.retryable) Object.assign(error, { $retryable: {} });
      throw error;
    }
  }

  updateHttpClientConfig(): void {}
  httpHandlerConfigs(): Record<string, never> {
    return {};
  }
  destroy(): void {}
}

/** The overall deadline passed: an AbortError, which the SDK never retries. */
function aborted(): Error {
  return Object.assign(new Error("aborted by the overall deadline"), { name: "AbortError" });
}
