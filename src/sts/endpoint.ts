// An STS endpoint must not expose signed requests: https to any host, plain http only to
// loopback (local test endpoints), never a user name or password in the URL. This applies to
// --sts-endpoint and to the variables the AWS SDKs read (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL),
// which epicac reads itself and passes on explicitly; the client is told to ignore every other
// source of endpoints (client.ts).

/** Whether `text` is an endpoint STS calls may go to. */
export function isStsEndpoint(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === "https:") return true;
  const loopback = url.hostname === "localhost" || url.hostname === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  return url.protocol === "http:" && loopback;
}
