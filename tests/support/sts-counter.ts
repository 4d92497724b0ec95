// A counting proxy in front of a real STS peer (moto): every request is forwarded as it came,
// Host header included, so SigV4 signatures still verify at the peer; each one is recorded with
// its Action, the role and session name asked for, and the access key id that signed it. Tests
// count STS calls here, at the peer's door, rather than trusting the counts of the program under
// test. `refuse` answers in the peer's place while it is set (throttling, an outage); `delayMs`
// slows every call down.

import assert from "node:assert/strict";
import { createServer, request as forward } from "node:http";
import type { AddressInfo } from "node:net";

export interface StsCall {
  action: string | null;
  roleArn: string | null;
  sessionName: string | null;
  accessKeyId?: string;
  status?: number;
}

/** An STS error answer: its HTTP status and error code. */
export interface StsRefusal {
  status: number;
  code: string;
}

export interface StsCounter {
  endpoint: string;
  calls: StsCall[];
  /** While set, every request gets this error instead of reaching the peer. */
  refuse?: StsRefusal;
  /** While set, every request is held this long before it goes on. */
  delayMs?: number;
  close(): Promise<void>;
}

export async function startStsCounter(peer: string): Promise<StsCounter> {
  const target = new URL(peer);
  const calls: StsCall[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const params = new URLSearchParams(body.toString("utf8"));
    const call: StsCall = {
      action: params.get("Action"),
      roleArn: params.get("RoleArn"),
      sessionName: params.get("RoleSessionName"),
      accessKeyId: /Credential=([^/]+)\//.exec(req.headers.authorization ?? "")?.[1],
    };
    calls.push(call);
    if (counter.delayMs) await new Promise((resolve) => setTimeout(resolve, counter.delayMs));
    if (counter.refuse) {
      call.status = counter.refuse.status;
      res.writeHead(counter.refuse.status, { "content-type": "text/xml" });
      return res.end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>${counter.refuse.code}</Code>` +
          `<Message>refused by the test</Message></Error><RequestId>0</RequestId></ErrorResponse>`,
      );
    }
    const out = forward({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, (answer) => {
      call.status = answer.statusCode;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    out.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const counter: StsCounter = {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return counter;
}

/**
 * A client's proof at STS's door: `calls` (those since it started) are one GetCallerIdentity,
 * answered, and signed with `accessKeyId` (the keys it was served).
 */
export function assertSignedIdentityCall(calls: StsCall[], accessKeyId: string): void {
  assert.deepEqual(calls.map((c) => c.action), ["GetCallerIdentity"]);
  assert.equal(calls[0].accessKeyId, accessKeyId);
  assert.equal(calls[0].status, 200);
}
