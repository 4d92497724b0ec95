// A pod whose application containers get their credentials from an `epicac serve` sidecar, for
// the real-client tests: moto as STS (signatures and permissions checked) behind a counting proxy,
// the agent emulator serving moto's role `src`, and serve (the native Bun binary) chaining `src`
// to `dest` on the default route and to `third` on the route /v1/credentials/third. clientEnv()
// is all an application container is given: serve's URI and token file, and nothing else that
// could hold credentials.

import { mkdirSync } from "node:fs";
import process from "node:process";
import { join } from "node:path";
import { binaryTarget, type Target } from "./epicac.ts";
import { type Pod, startPod } from "./pod.ts";
import { type Serving, startServe } from "./serve.ts";
import { startStsCounter, type StsCounter } from "./sts-counter.ts";
import { podToken } from "./jwt.ts";

export interface ServePod {
  pod: Pod;
  sts: StsCounter;
  serving: Serving;
  tokenFile: string;
  /** The application container's whole environment; `path` picks serve's route. */
  clientEnv(path?: string, extra?: Record<string, string>): Record<string, string>;
  /** What serve answers on `path` now (the keys a client should end up with). */
  served(path?: string): Promise<{ AccessKeyId: string }>;
  /** Requests serve answered with 200 on a route, from its metrics. */
  answered(route?: string): Promise<number>;
  close(): Promise<void>;
}

/** The pod, with serve run as `target` (by default the native Bun binary). */
export async function startServePod(
  name: string,
  target: Target = binaryTarget("bun", process.arch === "arm64" ? "arm64" : "amd64"),
): Promise<ServePod> {
  const pod = await startPod(name, podToken());
  const closing: (() => Promise<unknown>)[] = [() => pod.close()];
  const close = async () => {
    for (const step of closing.reverse()) await step();
  };
  try {
    const sts = await startStsCounter(pod.moto.endpoint);
    closing.push(() => sts.close());
    const tokenFile = join(pod.dir, "serve-token");
    const serving = await startServe(
      target,
      [
        "--assume",
        pod.moto.roleArn("dest"),
        "--route",
        `third=${pod.moto.roleArn("third")}`,
        "--sts-endpoint",
        sts.endpoint,
      ],
      pod.env(),
      tokenFile,
    );
    closing.push(() => serving.stop());
    await serving.waitForEvent("refreshed", (e) => e.route === "default");
    await serving.waitForEvent("refreshed", (e) => e.route === "third");
    const home = join(pod.dir, "app-home");
    mkdirSync(home);
    return {
      pod,
      sts,
      serving,
      tokenFile,
      clientEnv: (path = "/v1/credentials", extra = {}) => ({
        HOME: home,
        AWS_CONFIG_FILE: join(home, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(home, "no-credentials"),
        AWS_CONTAINER_CREDENTIALS_FULL_URI: serving.url(path),
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
        AWS_REGION: pod.moto.region,
        AWS_DEFAULT_REGION: pod.moto.region,
        AWS_ENDPOINT_URL_STS: sts.endpoint,
        AWS_EC2_METADATA_DISABLED: "true",
        ...extra,
      }),
      served: async (path = "/v1/credentials") => {
        const answer = await fetch(serving.url(path), {
          headers: { authorization: serving.token() },
        });
        return await answer.json();
      },
      answered: async (route = "default") => {
        const metrics = await (await fetch(serving.url("/metrics"))).text();
        const line = metrics.split("\n")
          .find((l) => l.startsWith(`epicac_requests_total{route="${route}",status="200"}`));
        return Number(line?.split(" ")[1] ?? 0);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
