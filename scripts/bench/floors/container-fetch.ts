// The floor of the default path: the least a program can do to be a credential_process for the
// Pod Identity agent (read the token file, GET the agent, print the JSON), with no checks at all.

import { fetchAgent } from "./agent.ts";

const agent = await (await fetchAgent()).json();
console.log(JSON.stringify({
  Version: 1,
  AccessKeyId: agent.AccessKeyId,
  SecretAccessKey: agent.SecretAccessKey,
  SessionToken: agent.Token,
  Expiration: agent.Expiration,
}));
