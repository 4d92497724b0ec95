// An application using the AWS SDK for JavaScript v3: credentials from fromIni({ profile }) or,
// with --default-chain, from the default chain (fromNodeProviderChain), then STS
// GetCallerIdentity with them. Region and the STS endpoint come from the environment
// (AWS_REGION, AWS_ENDPOINT_URL_STS), as in a pod. Plain JavaScript, so that Node, Bun and Deno
// all run it as it is:
//
//   <runtime> tests/support/sdk-consumer.mjs PROFILE | --default-chain
//
// Prints one JSON line: {"Arn", "Account", "AccessKeyId", "requests"} and exits 0, or {"error",
// "message", "requests"} and exits 1. "requests" lists every HTTP request the SDK made through
// the STS client, AssumeRole included, as {"endpoint", "action"}; a request to any host but
// 127.0.0.1 is refused before it is sent.

import process from "node:process";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromIni, fromNodeProviderChain } from "@aws-sdk/credential-providers";

const mode = process.argv[2];
if (!mode) {
  console.error("usage: sdk-consumer.mjs PROFILE | --default-chain");
  process.exit(2);
}

const sent = [];
let resolved;
// Called only at the first request, after `provider` below is set.
const client = new STSClient({
  credentials: async (props) => (resolved = await provider(props)),
});

// The client's own HTTP handler, wrapped: fromIni's role assumer is given the same handler below,
// so both STS calls are recorded, and a missed endpoint setting fails here instead of reaching AWS.
const handler = client.config.requestHandler;
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
const clientConfig = { requestHandler: client.config.requestHandler };
const provider = mode === "--default-chain"
  ? fromNodeProviderChain({ clientConfig })
  : fromIni({ profile: mode, clientConfig });

try {
  const identity = await client.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({
    Arn: identity.Arn,
    Account: identity.Account,
    AccessKeyId: resolved?.accessKeyId,
    requests: sent,
  }));
} catch (error) {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  console.log(JSON.stringify({ error: name, message, requests: sent }));
  process.exitCode = 1;
}
