// The floor of the --assume path: the bare fetch of container-fetch.ts, then one bare
// @aws-sdk/client-sts AssumeRole with those credentials, printed as credential_process JSON.
// It takes the arguments the benchmark gives epicac: --assume ARN --sts-endpoint URL --region R.

import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import process from "node:process";
import { fetchAgent } from "./agent.ts";

const [, , , roleArn, , endpoint, , region] = process.argv;
const agent = await (await fetchAgent()).json();
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
console.log(JSON.stringify({
  Version: 1,
  AccessKeyId: role!.AccessKeyId,
  SecretAccessKey: role!.SecretAccessKey,
  SessionToken: role!.SessionToken,
  Expiration: role!.Expiration!.toISOString(),
}));
