import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRedirect, checkUrl, isLoopbackHost } from "../url-policy";

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const params = { seed: SEED, numRuns: 300 };
/** Runs a property; the seed is in the failure message (rerun with FC_SEED=<seed>). */
function check<T>(prop: fc.IProperty<T>): void {
  const r = fc.check(prop, params);
  if (r.failed) throw new Error(`property failed (FC_SEED=${SEED}): ${fc.defaultReportMessage(r)}`);
}

/** Hostname after WHATWG parsing, the form the HTTP client dials. */
const host = (u: string) => new URL(u).hostname;

describe("isLoopbackHost: the decided URL shapes", () => {
  const table: [string, boolean, string][] = [
    ["http://localhost/", true, "the literal name"],
    ["http://LOCALHOST:8080/", true, "uppercase: the parser lowercases"],
    ["http://%6c%6fcalhost/", true, "percent-encoding: the parser decodes"],
    ["http://localhost./", false, "trailing dot: a resolver decides, not us"],
    ["http://a.localhost/", false, "*.localhost is not resolved-free loopback"],
    ["http://evil.localhost./", false, "subdomain + trailing dot"],
    ["http://localhost.evil.com/", false, "a prefix is not the name"],
    ["http://127.0.0.1/", true, "IPv4 loopback"],
    ["http://127.255.255.254:9/", true, "anywhere in 127/8"],
    ["http://2130706433/", true, "decimal IPv4 → 127.0.0.1 (what the client dials)"],
    ["http://0x7f.1/", true, "hex + short form → 127.0.0.1"],
    ["http://0177.0.0.1/", true, "octal → 127.0.0.1"],
    ["http://0x7f000001/", true, "hex whole → 127.0.0.1"],
    ["http://2130706432/", true, "127.0.0.0 is in 127/8"],
    ["http://2147483647/", true, "127.255.255.255, the top of 127/8"],
    ["http://2147483648/", false, "128.0.0.0, one past it"],
    ["http://128.0.0.1/", false, "outside 127/8"],
    ["http://10.0.0.1/", false, "private is not loopback"],
    ["http://0.0.0.0/", false, "unspecified is not loopback"],
    ["http://[::1]/", true, "IPv6 loopback"],
    ["http://[0:0:0:0:0:0:0:1]:80/", true, "long form → [::1]"],
    ["http://[::ffff:127.0.0.1]/", true, "IPv4-mapped loopback"],
    ["http://[::ffff:7f00:1]/", true, "IPv4-mapped, hex form"],
    ["http://[::ffff:10.0.0.1]/", false, "IPv4-mapped non-loopback"],
    ["http://[::127.0.0.1]/", false, "IPv4-compatible (deprecated) is not loopback"],
    ["http://[::]/", false, "unspecified"],
    ["http://[fe80::1]/", false, "link-local"],
    ["http://example.com/", false, "a name"],
    ["http://127.0.0.1.nip.io/", false, "a name that embeds 127.0.0.1"],
  ];
  it.each(table)("%s → %s (%s)", (url, loopback) => {
    expect(isLoopbackHost(host(url))).toBe(loopback);
    expect(checkUrl(new URL(url), false) === null).toBe(loopback);
  });

  it("raw, unparsed hosts are never loopback unless in canonical form", () => {
    expect(isLoopbackHost("127.1")).toBe(false);
    expect(isLoopbackHost("::1")).toBe(false); // a URL hostname carries brackets
    expect(isLoopbackHost("[::1]")).toBe(true);
    expect(isLoopbackHost("localhost.")).toBe(false);
  });
});

describe("URL policy properties", () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
  const withPort = (h: string, p: number | undefined) => (p === undefined ? h : `${h}:${p}`);

  it("every IPv4 written in dotted, decimal or hex form is loopback iff its first octet is 127", () => {
    check(
      fc.property(octet, octet, octet, octet, port, fc.constantFrom("dotted", "decimal", "hex"), (a, b, c, d, p, form) => {
        const n = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
        const h = form === "dotted" ? `${a}.${b}.${c}.${d}` : form === "decimal" ? String(n) : `0x${n.toString(16)}`;
        const u = new URL(`http://${withPort(h, p)}/x`);
        return isLoopbackHost(u.hostname) === (a === 127) && (checkUrl(u, false) === null) === (a === 127);
      }),
    );
  });

  it("a name is loopback only when it is exactly localhost, whatever case, port, path or dots around it", () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    check(
      fc.property(fc.array(label, { maxLength: 3 }), fc.boolean(), fc.boolean(), port, (prefix, upper, dot, p) => {
        const name = [...prefix, "localhost"].join(".") + (dot ? "." : "");
        const u = new URL(`http://${withPort(upper ? name.toUpperCase() : name, p)}/a?b#c`);
        const expected = prefix.length === 0 && !dot;
        return isLoopbackHost(u.hostname) === expected && (checkUrl(u, false) === null) === expected;
      }),
    );
  });

  it("userinfo is refused on every scheme and host, loopback or not", () => {
    const user = fc.stringMatching(/^[a-zA-Z0-9]{1,8}$/);
    check(
      fc.property(fc.constantFrom("http", "https"), fc.constantFrom("localhost", "127.0.0.1", "[::1]", "example.com"), user, fc.option(user, { nil: undefined }), (scheme, h, u, pw) => {
        const url = new URL(`${scheme}://${u}${pw === undefined ? "" : `:${pw}`}@${h}/`);
        return checkUrl(url, true) === "credentials in URLs are not allowed";
      }),
    );
  });

  it("https is allowed to any host; http off loopback only with allowInsecureHttp; other schemes never", () => {
    const hostArb = fc.constantFrom("example.com", "10.1.2.3", "[2001:db8::1]", "a.localhost", "localhost.", "127.0.0.1", "[::1]", "localhost");
    check(
      fc.property(fc.constantFrom("http", "https", "ftp", "file", "ws"), hostArb, fc.boolean(), (scheme, h, allow) => {
        const u = new URL(`${scheme}://${h}/m`);
        const verdict = checkUrl(u, allow) === null;
        if (scheme === "https") return verdict;
        if (scheme === "http") return verdict === (allow || isLoopbackHost(u.hostname));
        return !verdict;
      }),
    );
  });

  it("a redirect from https to a non-https URL is refused, even to loopback and with allowInsecureHttp", () => {
    const hostArb = fc.constantFrom("example.com", "127.0.0.1", "[::1]", "localhost", "127.3.4.5");
    check(
      fc.property(hostArb, hostArb, fc.constantFrom("http", "ws", "ftp"), fc.boolean(), port, (h1, h2, scheme, allow, p) => {
        const from = new URL(`https://${h1}/api/v1/memory/bundle/manifest`);
        const to = new URL(`${scheme}://${withPort(h2, p)}/b.tar.gz`);
        const r = checkRedirect(from, to, allow);
        return r !== null && r.includes("redirect from https");
      }),
    );
  });

  it("https → https and http(loopback) → https redirects pass; http → http follows checkUrl", () => {
    expect(checkRedirect(new URL("https://a.example/"), new URL("https://cdn.example/x"), false)).toBeNull();
    expect(checkRedirect(new URL("http://127.0.0.1:1/"), new URL("https://cdn.example/x"), false)).toBeNull();
    expect(checkRedirect(new URL("http://127.0.0.1:1/"), new URL("http://localhost:2/x"), false)).toBeNull();
    expect(checkRedirect(new URL("http://127.0.0.1:1/"), new URL("http://example.com/x"), false)).toMatch(/non-loopback/);
  });
});
