import { describe, expect, it } from "vitest";
import { waitFor } from "../wait";

describe("waitFor", () => {
  it("returns the first truthy value, retrying falsy results and throws", async () => {
    let n = 0;
    const v = await waitFor(
      () => {
        n++;
        if (n === 1) throw new Error("not yet");
        return n >= 3 ? { n } : null;
      },
      { what: "the third try", timeout: 10_000, interval: 1 },
    );
    expect(v).toEqual({ n: 3 });
  });

  it("times out naming what it waited for and the probe's last error", async () => {
    const err = await waitFor(
      () => {
        throw new Error("still starting");
      },
      { what: "a daemon", timeout: 30, interval: 5 },
    ).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe("timed out after 30 ms waiting for a daemon: still starting");
    expect((err.cause as Error).message).toBe("still starting");
    await expect(waitFor(() => false, { what: "never", timeout: 20, interval: 5 })).rejects.toThrow("timed out after 20 ms waiting for never");
  });
});
