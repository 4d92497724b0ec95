// Every check doctor runs, in the order it reports them, with what each looks at: declared once,
// for doctor's --help and the generated documentation.

export const CHECKS: readonly { name: string; what: string }[] = [
  {
    name: "environment",
    what: "The variables EKS Pod Identity, ECS or IRSA set. None: the association is missing or " +
      "the pod is older than it.",
  },
  {
    name: "serve",
    what: "Only in an application container of an epicac serve sidecar (a loopback URI that " +
      "answers /healthz as serve does): this container can read the sidecar's token, and the " +
      "sidecar is ready; otherwise what is wrong and the fix (fsGroup, the shared emptyDir, the " +
      "start order). A loopback URI where nothing listens fails here.",
  },
  {
    name: "token",
    what: "The token file exists, is readable by this user, is not empty; a JWT's subject, " +
      "audience and expiry (decoded without verification; the token itself is never shown).",
  },
  {
    name: "node",
    what: "Only in a pod served by epicac node (the agent's address on another port, with a " +
      "route in the path): the address answers, and what it answers this pod's token; a refusal " +
      "comes with its fix (the route's allow list, or the destination role's trust policy).",
  },
  {
    name: "agent",
    what: "The source answers with credentials: account and expiry shown, never the keys " +
      '("web identity" for IRSA: sts:AssumeRoleWithWebIdentity). Named "credentials", and ' +
      "skipped, when the environment or token check already failed.",
  },
  {
    name: "config",
    what: "When AWS_CONFIG_FILE, AWS_PROFILE or AWS_DEFAULT_PROFILE is set: the files parse as " +
      "the SDKs parse them, the profile exists, its credential_process / source_profile / " +
      "credential_source chain reaches credentials, and the SDK has a region when it assumes a " +
      "role (botocore and the JavaScript SDK both checked: they read the environment " +
      "differently).",
  },
  {
    name: "shell",
    what: "Only when the profile runs a credential_process and this image lacks a shell: a " +
      "warning naming the SDKs that cannot start it (the JavaScript SDK v3 and the C++ SDK need " +
      "/bin/sh, the Go, Java, Rust and .NET SDKs sh on PATH), and that the JavaScript SDK then " +
      "silently uses the pod's own role.",
  },
  {
    name: "cache",
    what: "With --cache-dir: the directory is this user's own, closed to others and writable " +
      "(runs go uncached on a cache they cannot use, so this is where such a set-up shows).",
  },
  {
    name: "hop N",
    what: "With --assume: each sts:AssumeRole hop.",
  },
  {
    name: "identity",
    what: "With --assume: sts:GetCallerIdentity of the last hop.",
  },
  {
    name: "chain",
    what: "Without --assume, skipped; a chain that cannot run at all (no region for STS) fails " +
      "here, once.",
  },
];
