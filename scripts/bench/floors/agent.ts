// What every floor does first: read the token file with the runtime's own file read (node:fs
// alone costs more start-up than the whole read) and GET the agent, with no checks at all.

import process from "node:process";

export async function fetchAgent(): Promise<Response> {
  const file = process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE!;
  const runtime = globalThis as {
    Bun?: { file(path: string): { text(): Promise<string> } };
    Deno?: { readTextFile(path: string): Promise<string> };
  };
  const token = await (runtime.Bun?.file(file).text() ?? runtime.Deno!.readTextFile(file));
  return fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI!, {
    headers: { authorization: token.trim() },
  });
}
