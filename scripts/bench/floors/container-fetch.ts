// The floor of the default path: the least a program can do to be a credential_process for the
// Pod Identity agent (read the token file, GET the agent, print the JSON), with no checks at all.
// The benchmark compiles it with the same runtime and flags as epicac and times it beside it.

import process from "node:process";

const token = (await readText(process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE!)).trim();
const response = await fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI!, {
  headers: { authorization: token },
});
const agent = await response.json();
console.log(
  JSON.stringify({
    Version: 1,
    AccessKeyId: agent.AccessKeyId,
    SecretAccessKey: agent.SecretAccessKey,
    SessionToken: agent.Token,
    Expiration: agent.Expiration,
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
