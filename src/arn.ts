// IAM role ARNs, read in one place: the --assume hops, AWS_ROLE_ARN, the roles in an AWS config
// file and in `epicac config`, and the account an agent's or STS's answer belongs to.

import { invalidValue } from "./errors.ts";
import { type Partition, PARTITIONS } from "./partitions.ts";

// Partition, account, optional path segments, and a non-empty role name.
const ROLE_ARN = /^arn:([\w-]+):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/;
// The account of any IAM or STS ARN (a role, an assumed-role session).
const ACCOUNT = /^arn:[\w-]+:(?:iam|sts)::(\d{12}):/;

export interface RoleArn {
  arn: string;
  partition: Partition;
  account: string;
}

/** The role ARN's parts, or undefined when `text` is not an IAM role ARN of a known partition. */
export function parseRoleArn(text: string): RoleArn | undefined {
  const match = ROLE_ARN.exec(text);
  if (!match || !(PARTITIONS as readonly string[]).includes(match[1])) return undefined;
  return { arn: text, partition: match[1] as Partition, account: match[2] };
}

/** The 12-digit account of an IAM or STS ARN, when `arn` is one. */
export function accountOf(arn: unknown): string | undefined {
  return typeof arn === "string" ? ACCOUNT.exec(arn)?.[1] : undefined;
}

/** The form an error message asks for. */
export const ROLE_ARN_FORM = "an IAM role ARN (arn:aws:iam::<account>:role/<name>)";

/** The ARN, or an error naming `origin` (a flag, an option or a variable). */
export function checkRoleArn(text: string, origin: string): RoleArn {
  const arn = parseRoleArn(text);
  if (!arn) throw invalidValue(origin, `${origin} takes ${ROLE_ARN_FORM}, not '${text}'`);
  return arn;
}
