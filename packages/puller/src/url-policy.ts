import { isIP } from "node:net";

/** True for loopback hosts: `localhost`, `*.localhost`, 127.0.0.0/8, ::1 (also IPv4-mapped). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^::ffff:127\./.test(h) || /^::ffff:7f[0-9a-f]{2}:/.test(h);
  return false;
}

/**
 * Checks a URL the puller is about to contact (SPEC §3.2): https anywhere,
 * http only to loopback unless `allowInsecureHttp`, no credentials in the URL.
 * Returns a content-free reason on refusal, null when allowed.
 */
export function checkUrl(url: URL, allowInsecureHttp: boolean): string | null {
  if (url.username || url.password) return "credentials in URLs are not allowed";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:") {
    return allowInsecureHttp || isLoopbackHost(url.hostname)
      ? null
      : `plain http to non-loopback host ${url.hostname} refused (allow_insecure_http is off)`;
  }
  return `unsupported URL scheme ${url.protocol}`;
}

/** The manifest URL of an endpoint: `{endpoint}/api/v1/memory/bundle/manifest`. Throws TypeError on a bad URL. */
export function manifestUrlOf(endpoint: string): URL {
  const base = new URL(endpoint);
  base.pathname = `${base.pathname.replace(/\/+$/, "")}/api/v1/memory/bundle/manifest`;
  base.search = "";
  base.hash = "";
  return base;
}

/** True when both URLs share scheme, host and port (the API key goes only to the manifest's origin). */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}
