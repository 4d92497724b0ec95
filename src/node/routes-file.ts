// The routes `epicac node` serves, from a JSON file (a ConfigMap's): for each route, the roles
// to assume, the service accounts allowed to ask for it, and the session options, under the
// module's option names, each read by its own declaration and named as the file gives it
// (routes.prod.externalId). Refused at load: what STS would refuse on every call (a chained
// session over an hour, a tag key Pod Identity already set), and what would make refreshes storm
// (a duration with no room above the refresh window). A fixed session name or source identity
// hides which pod acted: it takes an explicit opt-in, fixedIdentity.

import { createHash } from "node:crypto";
import type { Env } from "../env.ts";
import { UsageError } from "../errors.ts";
import {
  ASSUME,
  DURATION,
  EXTERNAL_ID,
  SESSION_NAME,
  SOURCE_IDENTITY,
  TAGS,
} from "../inputs/chain.ts";
import { type Caller, list, MODULE, onOff, readValues, refuse, within } from "../inputs/input.ts";
import {
  type ChainOptions,
  chainOptions,
  type ChainValues,
  checkRefreshWindow,
} from "../options.ts";

/** Session tags Pod Identity sets, transitive: passing one again fails every hop. */
export const POD_IDENTITY_TAGS = [
  "eks-cluster-arn",
  "eks-cluster-name",
  "kubernetes-namespace",
  "kubernetes-service-account",
  "kubernetes-pod-name",
  "kubernetes-pod-uid",
];

const KUBERNETES_NAME = "[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?";
const ALLOWED = new RegExp(`^${KUBERNETES_NAME}/(${KUBERNETES_NAME}|\\*)$`);

export const ALLOW = list<string>({
  flag: "allow",
  option: "allow",
  type: "string[]",
  form: "NAMESPACE/SERVICEACCOUNT or NAMESPACE/*",
  fromText: (subject) => subject,
  valid: (subject) => ALLOWED.test(subject),
  all: (subjects) => subjects.length === 0 ? "names no service account" : undefined,
  help: "The service accounts whose pods may ask for this route.",
});

export const FIXED_IDENTITY = onOff({
  flag: "fixed-identity",
  option: "fixedIdentity",
  help: "Allow a fixed sessionName or sourceIdentity, which hides which pod acted in CloudTrail.",
});

export const ROUTE_INPUTS = {
  assume: ASSUME,
  allow: ALLOW,
  externalId: EXTERNAL_ID,
  durationSeconds: DURATION,
  tags: TAGS,
  sessionName: SESSION_NAME,
  sourceIdentity: SOURCE_IDENTITY,
  fixedIdentity: FIXED_IDENTITY,
};

export interface NodeRoute {
  name: string;
  /** Who may ask: `namespace/serviceaccount` or `namespace/*`. */
  allow: string[];
  /** The hops and session options (the session name is derived per pod unless fixed). */
  chain: ChainOptions;
  fixedIdentity: boolean;
  /** Changes whenever the route's definition does: part of every cache key. */
  definition: string;
}

const ROUTE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A routes file is a few kilobytes; far more is not one. */
export const MAX_ROUTES_BYTES = 1024 * 1024;

/**
 * The routes in `text`, each over `base` (the command's own chain values), or a UsageError
 * naming the first thing wrong.
 */
export function parseRoutes(
  text: string,
  base: ChainValues,
  env: Env,
  refreshBeforeMs: number,
): Map<string, NodeRoute> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError("the routes file is not JSON");
  }
  const routes = (doc as { routes?: unknown })?.routes;
  if (
    typeof doc !== "object" || doc === null || Object.keys(doc).join() !== "routes" ||
    typeof routes !== "object" || routes === null || Array.isArray(routes)
  ) {
    throw new UsageError('the routes file holds {"routes": {NAME: {...}, ...}} and nothing else');
  }
  const parsed = new Map<string, NodeRoute>();
  for (const [name, given] of Object.entries(routes)) {
    if (!ROUTE_NAME.test(name)) {
      throw new UsageError(
        `the routes file names a route '${
          name.slice(0, 80)
        }': a name is 1 to 64 letters, digits, - and _`,
      );
    }
    parsed.set(name, parseRoute(name, given, base, env, refreshBeforeMs));
  }
  if (parsed.size === 0) throw new UsageError("the routes file has no route");
  return parsed;
}

function parseRoute(
  name: string,
  given: unknown,
  base: ChainValues,
  env: Env,
  refreshBeforeMs: number,
): NodeRoute {
  const caller: Caller = within(MODULE, (input) => `routes.${name}.${input.option}`);
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new UsageError(`routes.${name} is not an object`);
  }
  const values = readValues(ROUTE_INPUTS, given as Record<string, unknown>, caller);
  if (values.assume === undefined || values.assume.length === 0) {
    throw refuse(ASSUME, caller, "names no role to assume");
  }
  if (values.allow === undefined) throw refuse(ALLOW, caller, "is missing: who may ask for it?");
  if (!values.fixedIdentity) {
    for (const input of [SESSION_NAME, SOURCE_IDENTITY]) {
      if (values[input.option as "sessionName" | "sourceIdentity"] !== undefined) {
        throw refuse(
          input,
          caller,
          `is fixed for every pod, which hides which pod acted: set routes.${name}.fixedIdentity to true to allow it`,
        );
      }
    }
  }
  const inherited = values.tags?.find(({ Key }) => POD_IDENTITY_TAGS.includes(Key.toLowerCase()));
  if (inherited) {
    throw refuse(
      TAGS,
      caller,
      `sets ${inherited.Key}, a transitive session tag Pod Identity already sets: STS would refuse every hop`,
    );
  }
  const chain = chainOptions({ ...base, ...withoutUndefined(values) }, env, caller);
  checkRefreshWindow(chain, refreshBeforeMs, "every refresh would already be due");
  const definition = createHash("sha256").update(JSON.stringify([name, given])).digest("hex");
  return { name, allow: values.allow, chain, fixedIdentity: values.fixedIdentity, definition };
}

function withoutUndefined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<
    T
  >;
}

/** Whether a route lets the service account `subject` (`namespace/name`) ask for it. */
export function allows(route: NodeRoute, subject: string): boolean {
  const namespace = subject.slice(0, subject.indexOf("/"));
  return route.allow.some((allowed) => allowed === subject || allowed === `${namespace}/*`);
}
