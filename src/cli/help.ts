// The --help text: every flag, environment variable and exit code.

export const HELP = `epicac: print this pod's AWS credentials for an AWS SDK's credential_process

Usage:
  epicac [--format json|env] [--timeout S] [--retries N] [--deadline S] [--debug]
  epicac --help | --version

Reads the container credentials endpoint that EKS Pod Identity (or ECS) sets up for the pod and
prints the credentials on stdout, as credential_process JSON by default. Use it in an AWS config:

  [profile src]
  credential_process = /opt/epicac

Flags:
  --format json|env  json: one line of credential_process JSON (default).
                     env: 'export AWS_ACCESS_KEY_ID=…' lines for eval in a shell.
  --timeout S        Seconds one request may take, answer included (default 1).
  --retries N        Extra attempts after connection errors, timeouts, HTTP 429 and 5xx
                     (default 3; other 4xx answers are never retried).
  --deadline S       Seconds the whole run may take, retries and backoff included (default 5).
  --debug            Log steps, timings and statuses to stderr. Secrets and tokens are never
                     logged.
  -h, --help         Show this help.
  -V, --version      Show the version and the runtime the binary was built with.

Environment:
  AWS_CONTAINER_CREDENTIALS_FULL_URI      The endpoint, e.g. http://169.254.170.23/v1/credentials
                                          (set by EKS Pod Identity).
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI  A path on http://169.254.170.2 (set by ECS); used when
                                          the full URI is not set.
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE  File holding the Authorization token, read on every run
                                          (set by EKS Pod Identity).
  AWS_CONTAINER_AUTHORIZATION_TOKEN       The token itself, when no token file is set.
  HTTP_PROXY, HTTPS_PROXY, ALL_PROXY      Ignored: the endpoint is always called directly.

Security:
  Plain http only to loopback, 169.254.170.2, 169.254.170.23 and [fd00:ec2::23]; https to any
  host. Redirects are not followed, answers over 64 KiB are refused, a token holding CR or LF is
  refused, and credentials that are already expired are an error.

Exit codes:
  0  Credentials printed on stdout.
  1  Failure: one line on stderr says what failed and what to check; stdout is empty.
  2  Usage error: the command line is wrong.
`;
