import { isIP } from "node:net";

/**
 * True when a URL's `hostname` (WHATWG-parsed, as `new URL()` gives it and as
 * the HTTP client connects to it) is loopback: exactly `localhost`, an IPv4
 * literal in 127.0.0.0/8, or the IPv6 literal `[::1]` / `[::ffff:127.x.y.z]`.
 * Decided without resolving anything:
 * - `*.localhost` (`a.localhost`) and `localhost.` (trailing dot) are names a
 *   resolver may send elsewhere: not loopback.
 * - Uppercase and percent-encoded names (`LOCALHOST`, `%6c%6fcalhost`) are
 *   lowercased and decoded by the URL parser before this sees them; the
 *   decimal, octal and hex IPv4 forms (`2130706433`, `0177.0.0.1`, `0x7f.1`)
 *   are turned into `127.0.0.1` by the parser too, so they are loopback
 *   exactly when they denote 127.0.0.0/8, the address the client would dial.
 * - Anything that is not in that canonical form (a raw `127.1` passed by
 *   hand, `::127.0.0.1`) is not loopback.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (!h.startsWith("[") || !h.endsWith("]")) return false;
  const v6 = h.slice(1, -1);
  if (isIP(v6) !== 6) return false;
  return v6 === "::1" || /^::ffff:127\.\d+\.\d+\.\d+$/.test(v6) || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(v6);
}

/**
 * Checks a URL the puller is about to contact (docs/SECURITY.md): https
 * anywhere, http only to loopback ({@link isLoopbackHost}) unless
 * `allowInsecureHttp`, no credentials in the URL. Returns a content-free
 * reason on refusal, null when allowed.
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

/**
 * Checks one redirect hop: `to` must pass {@link checkUrl}, and a hop from
 * https to anything but https is refused whatever the host (a downgrade would
 * expose the API key and the bundle to the network, even on loopback where a
 * local proxy may listen). Returns a content-free reason, or null.
 */
export function checkRedirect(from: URL, to: URL, allowInsecureHttp: boolean): string | null {
  if (from.protocol === "https:" && to.protocol !== "https:") return `redirect from https to ${to.protocol.replace(/:$/, "")} refused`;
  return checkUrl(to, allowInsecureHttp);
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
