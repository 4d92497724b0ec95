// An application using the AWS SDK for JavaScript v3, for tests/clients/from-ini.test.ts:
// credentials from fromIni({ profile }), then STS GetCallerIdentity with them. Region and the
// STS endpoint come from the environment (AWS_REGION, AWS_ENDPOINT_URL_STS), as in a pod.
//
//   <runtime> tests/support/sdk-consumer.ts PROFILE
//
// Prints one JSON line: {"Arn", "Account", "requests"} and exits 0, or {"error", "message",
// "requests"} and exits 1. "requests" lists every HTTP request the SDK made, AssumeRole included,
// as {"endpoint", "action"}; a request to any host but 127.0.0.1 is refused before it is sent.

import process from "node:process";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromIni } from "@aws-sdk/credential-providers";

interface SentRequest {
  endpoint: string;
  action: string | null;
}

interface OutgoingRequest {
  protocol: string;
  hostname: string;
  port?: number;
  body?: unknown;
  headers: Record<string, string>;
}

const profile = process.argv[2];
if (!profile) {
  console.error("usage: sdk-consumer.ts PROFILE");
  process.exit(2);
}

const sent: SentRequest[] = [];
// Called only at the first request, after `credentials` below is set.
const client = new STSClient({ credentials: (props) => credentials(props) });

// The client's own HTTP handler, wrapped: fromIni's role assumer is given the same handler below,
// so both STS calls are recorded, and a missed endpoint setting fails here instead of reaching AWS.
const handler = client.config.requestHandler as unknown as {
  handle(request: OutgoingRequest, options?: unknown): Promise<unknown>;
};
const send = handler.handle.bind(handler);
handler.handle = (request, options) => {
  const endpoint = `${request.protocol}//${request.hostname}${
    request.port ? `:${request.port}` : ""
  }`;
  const action = typeof request.body === "string"
    ? new URLSearchParams(request.body).get("Action")
    : request.headers["x-amz-target"] ?? null;
  sent.push({ endpoint, action });
  if (request.hostname !== "127.0.0.1") {
    return Promise.reject(new Error(`refused to send ${action} to ${endpoint}: not loopback`));
  }
  return send(request, options);
};
const credentials = fromIni({
  profile,
  clientConfig: { requestHandler: client.config.requestHandler },
});

try {
  const identity = await client.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({ Arn: identity.Arn, Account: identity.Account, requests: sent }));
} catch (error) {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  console.log(JSON.stringify({ error: name, message, requests: sent }));
  process.exitCode = 1;
}
