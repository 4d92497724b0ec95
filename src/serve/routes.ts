// The chains `epicac serve` serves. The default route, GET /v1/credentials, is the chain the
// command's own flags describe (--source, --assume hops, session flags; no hop: the source's own
// credentials). Each --route NAME=ROLE_ARN[,ROLE_ARN…][,KEY=VALUE…] adds GET
// /v1/credentials/NAME: its hops, and its own session options over the command's (each KEY is a
// session flag's name: external-id=, session-name=, duration=, source-identity=, tag=KEY=VALUE,
// repeatable; a route's tags replace the command's). --no-default-route leaves only the named
// routes. Each value is read by its flag's own declaration, named as the route gives it.

import type { Env } from "../env.ts";
import { UsageError } from "../errors.ts";
import { ASSUME, SESSION_INPUTS, TAGS } from "../inputs/chain.ts";
import { COMMAND_LINE, type Input, list, within } from "../inputs/input.ts";
import { type ChainOptions, chainOptions, type ChainValues } from "../options.ts";

export interface Route {
  /** "" for the default route. */
  name: string;
  path: string;
  chain: ChainOptions;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Names the server's own paths and metric labels use. */
export const RESERVED_ROUTE_NAMES = ["default", "other", "metrics", "healthz", "readyz"];

export const DEFAULT_PATH = "/v1/credentials";

export const ROUTE = list<string>({
  flag: "route",
  placeholder: "NAME=ROLE_ARN[,ROLE_ARN…][,KEY=VALUE…]",
  type: "string[]",
  form: "NAME=ROLE_ARN[,ROLE_ARN…][,KEY=VALUE…]",
  fromText: (spec) => spec,
  valid: (spec) => spec.includes("="),
  help: "Also serve GET /v1/credentials/NAME: these role ARNs, with these session flags over " +
    "the command's (external-id=, session-name=, duration=, source-identity=, tag=KEY=VALUE, " +
    "repeatable; replaces the command's tags). NAME: 1 to 64 letters, digits, - and _.",
});

export function buildRoutes(
  base: ChainValues,
  env: Env,
  specs: string[],
  withDefault: boolean,
): Route[] {
  const routes: Route[] = [];
  if (withDefault) {
    routes.push({ name: "", path: DEFAULT_PATH, chain: chainOptions(base, env, COMMAND_LINE) });
  }
  for (const spec of specs) {
    const route = parseRoute(spec, base, env);
    if (routes.some((r) => r.name === route.name)) {
      throw new UsageError(`--route ${route.name} is given twice`);
    }
    routes.push(route);
  }
  if (routes.length === 0) {
    throw new UsageError("--no-default-route needs at least one --route NAME=ROLE_ARN");
  }
  return routes;
}

function parseRoute(spec: string, base: ChainValues, env: Env): Route {
  const at = spec.indexOf("=");
  const name = spec.slice(0, at);
  if (at < 1 || !NAME.test(name)) {
    throw new UsageError(
      `--route takes NAME=ROLE_ARN[,ROLE_ARN…][,KEY=VALUE…] with a NAME of 1 to 64 letters, digits, - and _, not '${spec}'`,
    );
  }
  if (RESERVED_ROUTE_NAMES.includes(name)) {
    throw new UsageError(
      `--route ${name}: the names ${
        RESERVED_ROUTE_NAMES.join(", ")
      } are the server's own; pick another`,
    );
  }
  const overridden = new Set<Input<unknown>>([ASSUME]);
  const caller = within(
    COMMAND_LINE,
    (input) =>
      input === ASSUME
        ? `--route ${name}`
        : overridden.has(input)
        ? `--route ${name} ${input.flag}=`
        : `--${input.flag}`,
  );
  const arns: string[] = [];
  const given: Record<string, string[]> = {};
  for (const item of spec.slice(at + 1).split(",").filter(Boolean)) {
    if (item.startsWith("arn:")) {
      arns.push(item);
      continue;
    }
    const [key, value] = item.split(/=(.*)/s);
    const input = SESSION_INPUTS.find((i) => i.flag === key);
    if (!input || value === undefined) {
      throw new UsageError(
        `--route ${name} takes role ARNs, then ${
          SESSION_INPUTS.map((i) => `${i.flag}=`).join(", ")
        }, not '${item}'`,
      );
    }
    if (given[key] && input !== TAGS) {
      throw new UsageError(`--route ${name} gives ${key}= twice`);
    }
    (given[key] ??= []).push(value);
  }
  if (arns.length === 0) throw new UsageError(`--route ${name} names no role ARN to assume`);
  const values: ChainValues = { ...base, assume: ASSUME.read(arns, caller) };
  for (const input of SESSION_INPUTS) {
    const items = given[input.flag];
    if (!items) continue;
    overridden.add(input);
    (values as Record<string, unknown>)[input.option!] = input.read(
      input.multiple ? items : items[0],
      caller,
    );
  }
  return { name, path: `${DEFAULT_PATH}/${name}`, chain: chainOptions(values, env, caller) };
}
