/**
 * The harness dials as the command provider does (scripts/lib/harness.ts sshRun): a failure to
 * connect is retried up to dialErrorLimit times and then reported in the provider's words.
 */
import { describe, expect, it } from "vitest";
import { sshRun, triggersReplace } from "../../scripts/lib/harness";
import { UNKNOWN } from "../../scripts/lib/providerRules";

describe("harness SSH dialling", () => {
  it("retries a refused connection until the dials exceed dialErrorLimit, then says how many attempts failed", async () => {
    const started = Date.now();
    const r = await sshRun(
      {
        host: "127.0.0.1",
        port: 1, // nothing listens: connection refused
        privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n-----END OPENSSH PRIVATE KEY-----\n",
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0000000000000000000000000000000000000000000",
        dialErrorLimit: 3,
      },
      "true",
      undefined,
    );
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(
      /^after 3 failed attempts: ssh: connect to host 127\.0\.0\.1 port 1: Connection refused$/,
    );
    // Four dials, 100, 150 and 225 ms apart (the provider's `dials > dialErrorLimit`).
    expect(Date.now() - started).toBeGreaterThanOrEqual(475);
  });

  it("with dialErrorLimit 1, dials twice, as the provider does", async () => {
    const r = await sshRun(
      { host: "127.0.0.1", port: 1, privateKey: "k", hostKey: "ssh-ed25519 AAAA", dialErrorLimit: 1 },
      "true",
      undefined,
    );
    expect(r.stderr).toMatch(/^after 1 failed attempts: ssh: connect to host 127\.0\.0\.1 port 1: /);
  });
});

describe("harness replacementTrigger, as the engine's shouldTriggerReplace", () => {
  it("an unset trigger on either side replaces nothing (the engine's rule; the harness replaced on unset → set)", () => {
    expect(triggersReplace(undefined, "2026-12")).toBe(false);
    expect(triggersReplace("2026-12", undefined)).toBe(false);
    expect(triggersReplace(null, "2026-12")).toBe(false);
  });
  it("a changed value replaces, an equal one does not, an unknown one always does", () => {
    expect(triggersReplace("", "2026-12")).toBe(true);
    expect(triggersReplace("2026-11", "2026-12")).toBe(true);
    expect(triggersReplace("2026-12", "2026-12")).toBe(false);
    expect(triggersReplace("2026-12", UNKNOWN)).toBe(true);
  });
});
