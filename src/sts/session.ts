// What every hop of a chain asks STS for: session name, external id, duration, source identity
// and session tags (each read and checked against STS's limits by its declaration in
// inputs/chain.ts), and the default session name.

import process from "node:process";
import type { Tag } from "../inputs/chain.ts";

export interface SessionOptions {
  sessionName: string;
  externalId?: string;
  durationSeconds?: number;
  sourceIdentity?: string;
  tags: Tag[];
}

/** The pod's hostname (its name, in Kubernetes), made into a valid session name. */
export function defaultSessionName(host = safeHostname()): string {
  const name = host.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  return name.length >= 2 ? name : `epicac${name}`.slice(0, 64);
}

function safeHostname(): string {
  try {
    return process.getBuiltinModule("node:os").hostname();
  } catch {
    return "epicac";
  }
}
