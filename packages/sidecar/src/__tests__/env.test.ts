import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { sidecarEnv } from "../index";

const SECRETISH = /KEY|SECRET|TOKEN|PASSWORD/i;

describe("sidecarEnv", () => {
  it("drops RECALL_* and credential-like names, keeps the rest", () => {
    const env = {
      PATH: "/usr/bin",
      HOME: "/home/u",
      LANG: "C.UTF-8",
      RECALL_MEMORY_API_KEY: "k",
      RECALL_CONFIG: "/c.yaml",
      Recall_Anything: "x",
      OPENAI_API_KEY: "k",
      GITHUB_TOKEN: "t",
      PGPASSWORD: "p",
      client_secret: "s",
      SSH_PRIVATE_KEY: "k",
      KEYBOARD_LAYOUT: "us",
      UNSET: undefined,
    };
    expect(sidecarEnv(env)).toEqual({ PATH: "/usr/bin", HOME: "/home/u", LANG: "C.UTF-8" });
  });

  it("never passes a credential-like or RECALL_ name, and never invents or alters values", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string()), (env) => {
        const out = sidecarEnv(env);
        for (const [k, v] of Object.entries(out)) {
          expect(k).not.toMatch(SECRETISH);
          expect(k).not.toMatch(/^RECALL_/i);
          expect(v).toBe(env[k]);
        }
        for (const k of Object.keys(env)) {
          if (!SECRETISH.test(k) && !/^RECALL_/i.test(k)) expect(out[k]).toBe(env[k]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a variable named __proto__ as a plain variable", () => {
    const out = sidecarEnv(JSON.parse('{"__proto__":"x","A":"1"}') as Record<string, string>);
    expect(Object.keys(out).sort()).toEqual(["A", "__proto__"]);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toBe("x");
  });

  it("does not mutate its input", () => {
    const env = Object.freeze({ A: "1", MY_TOKEN: "x" });
    expect(sidecarEnv(env)).toEqual({ A: "1" });
    expect(env).toEqual({ A: "1", MY_TOKEN: "x" });
  });
});
