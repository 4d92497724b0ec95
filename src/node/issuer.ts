// --issuer: a caller's token must also be signed by the cluster's service-account issuer, checked
// here before the agent is asked, so that forged tokens cost nothing. The issuer's keys come from
// its OIDC discovery document's jwks_uri, fetched once and again when a token names a key id not
// seen yet (at most once a minute). RS256 and ES256, as Kubernetes issuers sign.

import { EpicacError } from "../errors.ts";
import { getText, type PeerLabel } from "../http/request.ts";
import { segmentBytes, segmentObject } from "../jwt.ts";
import type { Clock } from "../refreshing.ts";

const REFETCH_AFTER_MS = 60_000;
const MAX_DOCUMENT_BYTES = 64 * 1024;

const ISSUER: PeerLabel = {
  name: "the service-account issuer",
  hint: "check --issuer (the cluster's OIDC issuer URL) and network access to it",
  answerHint: "check that --issuer is the cluster's OIDC issuer URL",
};

interface Jwk {
  kid?: string;
  kty?: string;
  alg?: string;
  [member: string]: unknown;
}

const ALGORITHMS: Record<
  string,
  { import: RsaHashedImportParams | EcKeyImportParams; verify: AlgorithmIdentifier | EcdsaParams }
> = {
  RS256: {
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verify: { name: "RSASSA-PKCS1-v1_5" },
  },
  ES256: {
    import: { name: "ECDSA", namedCurve: "P-256" },
    verify: { name: "ECDSA", hash: "SHA-256" },
  },
};

/** An issuer URL: https, or http to loopback (a local test issuer). */
export function isIssuerUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" ||
      (url.protocol === "http:" && /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname));
  } catch {
    return false;
  }
}

export class IssuerKeys {
  private keys = new Map<string, { jwk: Jwk; key?: CryptoKey }>();
  private fetchedAt = -Infinity;
  private fetching: Promise<void> | undefined;

  constructor(
    readonly issuer: string,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  /** Whether `token` is signed by one of the issuer's keys and names it as its issuer. */
  async verify(token: string): Promise<boolean> {
    const parts = token.split(".");
    if (parts.length !== 3) return false;
    const [head, body, signature] = parts;
    const header = segmentObject(head) as { alg?: string; kid?: string } | undefined;
    const claims = segmentObject(body);
    const algorithm = header?.alg ? ALGORITHMS[header.alg] : undefined;
    if (!header || !claims || !algorithm || signature === undefined) return false;
    if (claims.iss !== this.issuer) return false;
    const kid = header.kid ?? "";
    if (
      !this.keys.has(kid) &&
      (this.fetching || this.clock.now() - this.fetchedAt >= REFETCH_AFTER_MS)
    ) {
      // A fetch under way may bring the key: wait for it rather than refuse.
      await this.fetchKeys().catch(() => {});
    }
    const known = this.keys.get(kid);
    if (!known || (known.jwk.alg !== undefined && known.jwk.alg !== header.alg)) return false;
    try {
      known.key ??= await crypto.subtle.importKey("jwk", known.jwk, algorithm.import, false, [
        "verify",
      ]);
      return await crypto.subtle.verify(
        algorithm.verify,
        known.key,
        segmentBytes(signature),
        new TextEncoder().encode(`${head}.${body}`),
      );
    } catch {
      return false;
    }
  }

  /** The issuer's keys, now: start-up calls this so that a wrong --issuer shows at once. */
  fetchKeys(): Promise<void> {
    this.fetching ??= this.load().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async load(): Promise<void> {
    this.fetchedAt = this.clock.now();
    const discovery = await this.json(
      new URL(`${this.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`),
    );
    const jwksUri = String((discovery as { jwks_uri?: unknown } | null)?.jwks_uri ?? "");
    if (!isIssuerUrl(jwksUri)) {
      throw new EpicacError(`${ISSUER.name} names no usable jwks_uri`, ISSUER.answerHint);
    }
    const keys = (await this.json(new URL(jwksUri)) as { keys?: Jwk[] } | null)?.keys;
    if (!Array.isArray(keys)) {
      throw new EpicacError(`${ISSUER.name} sent no keys`, ISSUER.answerHint);
    }
    this.keys = new Map(
      keys.filter((k) => typeof k === "object" && k).map((jwk) => [jwk.kid ?? "", { jwk }]),
    );
  }

  private async json(url: URL): Promise<unknown> {
    const response = await getText(url, ISSUER, {
      headers: { accept: "application/json" },
      timeoutMs: this.timeoutMs,
      maxBytes: MAX_DOCUMENT_BYTES,
    });
    if (response.status !== 200) {
      throw new EpicacError(
        `${ISSUER.name} answered HTTP ${response.status} for ${url.pathname}`,
        ISSUER.answerHint,
      );
    }
    try {
      return JSON.parse(response.body);
    } catch {
      throw new EpicacError(
        `${ISSUER.name} answered with something that is not JSON`,
        ISSUER.answerHint,
      );
    }
  }
}
