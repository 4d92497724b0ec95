// Output formats. stdout carries exactly one of these and nothing else.

import type { Credentials } from "./credentials.ts";

export const FORMATS = ["json", "env"] as const;
export type Format = typeof FORMATS[number];

/** The credential_process document every AWS SDK reads, on one line. */
export function formatProcessJson(c: Credentials): string {
  // Key order is part of the contract: Version first, AccountId last and only when known.
  const doc: Record<string, string | number> = {
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
  };
  if (c.sessionToken !== undefined) doc.SessionToken = c.sessionToken;
  if (c.expiration !== undefined) doc.Expiration = c.expiration.toISOString();
  if (c.accountId !== undefined) doc.AccountId = c.accountId;
  return JSON.stringify(doc) + "\n";
}

/** `export NAME='value'` lines for `eval` in a POSIX shell. */
export function formatEnv(c: Credentials): string {
  const vars: [string, string | undefined][] = [
    ["AWS_ACCESS_KEY_ID", c.accessKeyId],
    ["AWS_SECRET_ACCESS_KEY", c.secretAccessKey],
    ["AWS_SESSION_TOKEN", c.sessionToken],
    ["AWS_CREDENTIAL_EXPIRATION", c.expiration?.toISOString()],
    ["AWS_ACCOUNT_ID", c.accountId],
  ];
  return vars
    .filter((v): v is [string, string] => v[1] !== undefined)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join("");
}

export function formatCredentials(c: Credentials, format: Format): string {
  return format === "env" ? formatEnv(c) : formatProcessJson(c);
}

/** Single-quote a value for a POSIX shell: nothing inside is expanded. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
