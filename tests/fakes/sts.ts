// A loopback STS for tests and the benchmark: answers AssumeRole, AssumeRoleWithWebIdentity and
// GetCallerIdentity in STS's query protocol (XML), records every request's parameters, and
// answers with AWS's error XML when the role's name asks for it:
//   role/denied → AccessDenied, role/packed → PackedPolicyTooLarge, role/expired → ExpiredToken,
//   role/bad-token → InvalidIdentityToken, role/region-off → RegionDisabledException,
//   role/throttled → Throttling, role/broken → HTTP 500, role/slow → a 3 s delay,
//   role/drip → an answer whose body trickles one byte every 200 ms, role/huge → a 100 MiB answer,
//   role/hang → no answer at all,
//   and answers whose credentials are wrong in one way each (BAD_CREDENTIALS below).
// `control` changes every answer from then on (the serve tests: a refresh that fails, or is slow,
// or credentials that expire soon). It does not check signatures (moto does that in the tests
// that need it).

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";

export interface StsRequest {
  action: string;
  params: Record<string, string>;
  /** Whether the request was signed (AssumeRoleWithWebIdentity must not be). */
  signed: boolean;
  /** The access key id that signed it, from the SigV4 Authorization header. */
  accessKeyId?: string;
}

export interface StsControl {
  /** Answer every request with this role name's error (a key of ERRORS: "denied", "broken"…). */
  failWith?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Credentials expire this many seconds from now, whatever DurationSeconds asked. */
  expiresInSeconds?: number;
  /** The caller's wall clock is this far ahead: expirations count from its now. */
  clockOffsetSeconds?: number;
  /** Session tokens this many characters long (real ones run to a kilobyte and more). */
  sessionTokenLength?: number;
}

export interface FakeSts {
  endpoint: string;
  requests: StsRequest[];
  control: StsControl;
  close(): Promise<void>;
}

const ERRORS: Record<
  string,
  [status: number, code: string, message: (p: Record<string, string>) => string]
> = {
  denied: [
    403,
    "AccessDenied",
    (p) =>
      `User: arn:aws:sts::111122223333:assumed-role/src/pod is not authorized to perform: sts:AssumeRole on resource: ${p.RoleArn}`,
  ],
  packed: [
    400,
    "PackedPolicyTooLarge",
    () =>
      "Packed policy consumes 112% of allotted space, please use smaller policy for this session",
  ],
  expired: [400, "ExpiredToken", () => "The security token included in the request is expired"],
  "bad-token": [
    400,
    "InvalidIdentityToken",
    () => "No OpenIDConnect provider found in your account for https://oidc.example",
  ],
  "region-off": [
    403,
    "RegionDisabledException",
    () => "STS is not activated in this region for account:111122223333.",
  ],
  throttled: [400, "Throttling", () => "Rate exceeded"],
  broken: [500, "InternalFailure", () => "An internal error occurred"],
};

/** Roles whose answer carries credentials that are wrong in one way: what to change. */
const BAD_CREDENTIALS: Record<string, Record<string, string | undefined>> = {
  "expired-1970": { Expiration: "1970-01-01T00:00:00Z" },
  "no-expiration": { Expiration: undefined },
  "spaced-key": { AccessKeyId: "ASIA SPACED KEY 0001" },
  "newline-secret": { SecretAccessKey: "stubSecretWith\nNewline0123456789" },
  "short-secret": { SecretAccessKey: "short7!" },
  "no-token": { SessionToken: undefined },
};

function xmlEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

let serial = 0;

function credentialsXml(
  roleArn: string,
  sessionName: string,
  expiresAt: number,
  sessionTokenLength = 0,
): string {
  serial++;
  const suffix = `${serial}`.padStart(6, "0") +
    Math.random().toString(36).slice(2, 8).toUpperCase();
  const [, account = "111122223333", role = "role"] =
    /iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
  const fields: Record<string, string | undefined> = {
    AccessKeyId: `ASIASTUB${suffix}`,
    SecretAccessKey: `stubSecret${suffix}/abcdefghijklmnopqrstuvwxyz`,
    SessionToken: `FwoGZXIvYXdzEStubSessionToken${suffix}`.padEnd(sessionTokenLength - 2, "A") +
      "==",
    Expiration: new Date(expiresAt).toISOString(),
    ...BAD_CREDENTIALS[role],
  };
  const credentials = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<${name}>${xmlEscape(value!)}</${name}>`)
    .join("\n      ");
  return `<Credentials>
      ${credentials}
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROASTUB${suffix}:${xmlEscape(sessionName)}</AssumedRoleId>
      <Arn>arn:aws:sts::${account}:assumed-role/${xmlEscape(role)}/${xmlEscape(sessionName)}</Arn>
    </AssumedRoleUser>`;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": crypto.randomUUID() });
  res.end(body);
}

/** Headers at once, then the body one byte every 200 ms, until the client goes away. */
function drip(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/xml" });
  const body = "<AssumeRoleResponse>" + " ".repeat(10_000);
  let at = 0;
  const timer = setInterval(() => res.write(body[at++ % body.length]), 200);
  res.on("close", () => clearInterval(timer));
}

/** 100 MiB of XML, sent as fast as the client takes it, without a Content-Length. */
function huge(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/xml" });
  const chunk = "<x>" + "a".repeat(64 * 1024 - 7) + "</x>";
  let left = 1600;
  const pump = () => {
    while (left > 0) {
      left--;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  res.on("close", () => (left = 0));
  pump();
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

export async function startFakeSts(): Promise<FakeSts> {
  const requests: StsRequest[] = [];
  const control: StsControl = {};
  const server = createServer(async (req, res) => {
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      return; // the client left before its request was whole: nothing to count or answer
    }
    const params = Object.fromEntries(new URLSearchParams(body));
    const authorization = req.headers.authorization;
    const action = params.Action ?? "";
    requests.push({
      action,
      params,
      signed: Boolean(authorization),
      accessKeyId: /Credential=([^/]+)\//.exec(authorization ?? "")?.[1],
    });
    const role = /role\/(?:.*\/)?([^/]+)$/.exec(params.RoleArn ?? "")?.[1] ?? "";
    const ns = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"';
    if (control.delayMs) await new Promise((resolve) => setTimeout(resolve, control.delayMs));
    const error = ERRORS[control.failWith ?? role];
    if (error) {
      const [status, code, message] = error;
      return send(
        res,
        status,
        `<ErrorResponse ${ns}><Error><Type>Sender</Type><Code>${code}</Code>` +
          `<Message>${
            xmlEscape(message(params))
          }</Message></Error><RequestId>stub</RequestId></ErrorResponse>`,
      );
    }
    if (role === "slow") await new Promise((resolve) => setTimeout(resolve, 3000));
    if (role === "drip") return drip(res);
    if (role === "hang") return;
    if (role === "huge") return huge(res);
    const duration = control.expiresInSeconds ?? Number(params.DurationSeconds ?? 3600);
    const expiresAt = Date.now() + ((control.clockOffsetSeconds ?? 0) + duration) * 1000;
    const session = params.RoleSessionName ?? "session";
    if (action === "AssumeRole" || action === "AssumeRoleWithWebIdentity") {
      return send(
        res,
        200,
        `<${action}Response ${ns}><${action}Result>
    ${credentialsXml(params.RoleArn, session, expiresAt, control.sessionTokenLength)}
  </${action}Result><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></${action}Response>`,
      );
    }
    if (action === "GetCallerIdentity") {
      return send(
        res,
        200,
        `<GetCallerIdentityResponse ${ns}><GetCallerIdentityResult>
    <Arn>arn:aws:sts::111122223333:assumed-role/stub/session</Arn><UserId>AROASTUB:session</UserId><Account>111122223333</Account>
  </GetCallerIdentityResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    }
    send(
      res,
      400,
      `<ErrorResponse ${ns}><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Unknown action</Message></Error></ErrorResponse>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    control,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Stand-alone (the benchmark): print the endpoint and serve until stopped.
// `--session-token-length N` sets control.sessionTokenLength.
if (import.meta.main) {
  const stub = await startFakeSts();
  const length = process.argv.indexOf("--session-token-length");
  if (length > 0) stub.control.sessionTokenLength = Number(process.argv[length + 1]);
  console.log(stub.endpoint);
  const stop = () => stub.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
