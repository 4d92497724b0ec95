// The floor of the --assume path: the bare fetch of container-fetch.ts, then one bare
// @aws-sdk/client-sts AssumeRole with those credentials, printed as credential_process JSON.
// It takes the arguments the benchmark gives epicac: --assume ARN --sts-endpoint URL --region R.

import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import process from "node:process";

const [, , , roleArn, , endpoint, , region] = process.argv;
const token = (await readText(process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE!)).trim();
const response = await fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI!, {
  headers: { authorization: token },
});
const agent = await response.json();
const sts = new STSClient({
  region,
  endpoint,
  credentials: {
    accessKeyId: agent.AccessKeyId,
    secretAccessKey: agent.SecretAccessKey,
    sessionToken: agent.Token,
  },
});
const { Credentials: role } = await sts.send(
  new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "floor" }),
);
console.log(
  JSON.stringify({
    Version: 1,
    AccessKeyId: role!.AccessKeyId,
    SecretAccessKey: role!.SecretAccessKey,
    SessionToken: role!.SessionToken,
    Expiration: role!.Expiration!.toISOString(),
  }),
);

/** The runtime's own file read: node:fs alone costs more start-up than the whole read. */
function readText(path: string): Promise<string> {
  const runtime = globalThis as {
    Bun?: { file(path: string): { text(): Promise<string> } };
    Deno?: { readTextFile(path: string): Promise<string> };
  };
  return runtime.Bun ? runtime.Bun.file(path).text() : runtime.Deno!.readTextFile(path);
}
