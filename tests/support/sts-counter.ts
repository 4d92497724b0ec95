// A counting proxy in front of a real STS peer (moto): every request is forwarded as it came,
// Host header included, so SigV4 signatures still verify at the peer; each one is recorded with
// its Action and the access key id that signed it. Tests count STS calls here, at the peer's
// door, rather than trusting the counts of the program under test.

import { createServer, request as forward } from "node:http";
import type { AddressInfo } from "node:net";

export interface StsCall {
  action: string | null;
  accessKeyId?: string;
  status?: number;
}

export interface StsCounter {
  endpoint: string;
  calls: StsCall[];
  close(): Promise<void>;
}

export async function startStsCounter(peer: string): Promise<StsCounter> {
  const target = new URL(peer);
  const calls: StsCall[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const call: StsCall = {
      action: new URLSearchParams(body.toString("utf8")).get("Action"),
      accessKeyId: /Credential=([^/]+)\//.exec(req.headers.authorization ?? "")?.[1],
    };
    calls.push(call);
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
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
