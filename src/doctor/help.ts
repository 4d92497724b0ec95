// The `epicac doctor --help` text.

export const DOCTOR_HELP = `epicac doctor: check this pod's set-up and say how to fix what is wrong

Usage:
  epicac doctor [--json] [--assume ROLE_ARN]... [the credentials command's flags]

Checks, one line each, marked [pass], [FAIL] (with the fix) or [skip]:
  environment  the variables EKS Pod Identity, ECS or IRSA set
  token        the token file: exists, readable, not empty; a JWT's subject, audience and
               expiry (decoded without verification; the token itself is never shown)
  agent        the credentials endpoint answers with credentials (account and expiry shown,
               never the keys); for IRSA, sts:AssumeRoleWithWebIdentity
  config       when AWS_CONFIG_FILE or AWS_PROFILE is set: the file parses, the profile exists,
               and its credential_process / source_profile chain reaches an executable
  hop N        with --assume: each sts:AssumeRole hop
  identity     with --assume: sts:GetCallerIdentity of the last hop

  --json       The same as one JSON document: {"ok": …, "checks": [{name, status, detail, fix}]}.

Exit codes: 0 when no check failed, 1 otherwise, 2 for a usage error.
`;
