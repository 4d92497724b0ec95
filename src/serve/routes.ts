// The chains `epicac serve` serves. The default route, GET /v1/credentials, is the chain the
// command's own flags describe (--source, --assume hops, session flags; no hop: the source's own
// credentials). Each --route NAME=ROLE_ARN[,ROLE_ARN…][,KEY=VALUE…] adds GET
// /v1/credentials/NAME: its hops, and its own session options over the command's
// (external-id=, session-name=, duration=, source-identity=, tag=KEY=VALUE, repeatable; a
// route's tags replace the command's). --no-default-route leaves only the named routes.

import { UsageError } from "../errors.ts";
import {
  buildChainOptions,
  type ChainInput,
  type ChainOptions,
  type InputNames,
} from "../options.ts";
import type { RawSessionFlags } from "../sts/session.ts";

export interface Route {
  /** "" for the default route. */
  name: string;
  path: string;
  chain: ChainOptions;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const OPTIONS: Record<string, keyof RawSessionFlags> = {
  "external-id": "externalId",
  "session-name": "sessionName",
  duration: "duration",
  "source-identity": "sourceIdentity",
  tag: "tags",
};

export const DEFAULT_PATH = "/v1/credentials";

export function buildRoutes(
  base: ChainInput,
  specs: string[],
  withDefault: boolean,
  names: InputNames,
): Route[] {
  const routes: Route[] = [];
  if (withDefault) {
    routes.push({ name: "", path: DEFAULT_PATH, chain: buildChainOptions(base, names) });
  }
  for (const spec of specs) {
    const route = parseRoute(spec, base, names);
    if (routes.some((r) => r.name === route.name)) {
      throw new UsageError(`--route ${route.name} is given twice`);
    }
    // The metrics call the default route "default".
    if (withDefault && route.name === "default") {
      throw new UsageError("--route default is the default route's name: pick another name");
    }
    routes.push(route);
  }
  if (routes.length === 0) {
    throw new UsageError("--no-default-route needs at least one --route NAME=ROLE_ARN");
  }
  return routes;
}

function parseRoute(spec: string, base: ChainInput, names: InputNames): Route {
  const at = spec.indexOf("=");
  const name = spec.slice(0, at);
  if (at < 1 || !NAME.test(name)) {
    throw new UsageError(
      `--route takes NAME=ROLE_ARN[,ROLE_ARN…][,KEY=VALUE…] with a NAME of 1 to 64 letters, digits, - and _, not '${spec}'`,
    );
  }
  const assume: string[] = [];
  const session: RawSessionFlags = { ...base.session };
  let tags: string[] | undefined;
  for (const item of spec.slice(at + 1).split(",").filter(Boolean)) {
    if (item.startsWith("arn:")) {
      assume.push(item);
      continue;
    }
    const [key, value] = item.split(/=(.*)/s);
    const field = OPTIONS[key];
    if (!field || value === undefined) {
      throw new UsageError(
        `--route ${name} takes role ARNs, then ${
          Object.keys(OPTIONS).map((o) => `${o}=`).join(", ")
        }, not '${item}'`,
      );
    }
    if (field === "tags") (tags ??= []).push(value);
    else session[field] = value;
  }
  if (assume.length === 0) throw new UsageError(`--route ${name} names no role ARN to assume`);
  if (tags) session.tags = tags;
  return {
    name,
    path: `${DEFAULT_PATH}/${name}`,
    chain: buildChainOptions({ ...base, assume, session }, {
      ...names,
      name: (input) => input === "assume" ? `--route ${name}` : names.name(input),
    }),
  };
}
