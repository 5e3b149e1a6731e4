/**
 * The policy pack's rules, called the way `@pulumi/policy` calls a StackValidationPolicy: with
 * the stack's resources (type, name, URN, outputs behind the unknown-checking proxy, parent
 * links). For each rule: a passing case, failing cases whose message names the resource and
 * the fix, its config, and its behaviour for values unknown during preview.
 *
 * What the engine really sends was checked on the real engine in test/policy/engine.test.ts and
 * through @pulumi/policy's own gRPC handler in the "wire format" block below.
 */
import { afterEach, describe, expect, it } from "vitest";
import { minioKesPolicy } from "../../lib/core/kesConfig";
import { DEFAULTS, POLICY_NAMES, policyPackArgs, TYPES } from "../../lib/policy";
import { allowsUnder, coversAll } from "../../lib/policy/kesPaths";
import { res, run, STACK, UNKNOWN } from "./harness";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyForPolicyTestsOnly0000000000000";
const MINIO_ID = "3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22";

/** A KesServer as it registers its outputs, with overrides. */
function kesServer(over: Record<string, unknown> = {}, name = "kes") {
  return res(TYPES.kesServer, name, {
    endpoints: ["https://10.0.0.11:7373"],
    keystoreKind: "vault",
    unpinnedHosts: [],
    certificateNotAfter: { kes1: "2027-06-01T10:00:00Z" },
    policies: [minioKesPolicy({ keyNames: ["minio-*"], identities: [MINIO_ID] })],
    ...over,
  });
}

function minioDeployment(over: Record<string, unknown> = {}, name = "minio") {
  return res(TYPES.minioDeployment, name, {
    sseEnabled: true,
    defaultKeyName: "minio-default",
    unpinnedHosts: [],
    certificateNotAfter: { minio1: "2027-06-01T10:00:00Z" },
    ...over,
  });
}

function connection(over: Record<string, unknown> = {}) {
  return {
    host: "10.0.0.11",
    port: 22,
    user: "root",
    privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
    ...over,
  };
}

describe(`${POLICY_NAMES.bucketSseKms}`, () => {
  const P = POLICY_NAMES.bucketSseKms;
  const bucket = (props: Record<string, unknown>, name = "logs") =>
    res(TYPES.encryptedBucket, name, { bucket: "logs", verified: true, ...props });

  it("passes an SSE-KMS bucket with a named key", () => {
    expect(run(P, [bucket({ algorithm: "sse-kms", keyName: "minio-logs" })]).violations).toEqual([]);
  });

  it("fails an SSE-S3 bucket, naming the bucket and the fix", () => {
    const b = bucket({ algorithm: "sse-s3", keyName: "minio-default" });
    const { violations } = run(P, [b]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.urn).toBe(b.urn);
    expect(violations[0]!.urn).toBe(`urn:pulumi:${STACK}::minio::minio-kes:minio:EncryptedBucket::logs`);
    expect(violations[0]!.message).toContain('EncryptedBucket "logs" (bucket "logs")');
    expect(violations[0]!.message).toContain('Fix: set algorithm: "sse-kms"');
  });

  it("fails SSE-KMS without a key name", () => {
    const { violations } = run(P, [bucket({ algorithm: "sse-kms", keyName: "" })]);
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/EncryptedBucket "logs".*without a named key\. Fix: set keyName/),
    ]);
  });

  it("fails closed when the component exposes no facts", () => {
    const { violations } = run(P, [res(TYPES.encryptedBucket, "old", {})]);
    expect(violations[0]!.message).toMatch(
      /EncryptedBucket "old" does not expose .* Fix: upgrade pulumi-minio-kes/,
    );
  });

  it("honours exemptBuckets from policy pack config and from the factory options", () => {
    const b = bucket({ algorithm: "sse-s3", keyName: "minio-default" });
    expect(run(P, [b], { exemptBuckets: ["logs"] }).violations).toEqual([]);
    expect(run(P, [b], {}, { bucketSseKms: { exemptBuckets: ["logs"] } }).violations).toEqual([]);
  });

  it("defers, without hiding other buckets' violations, when a fact is unknown during preview", () => {
    const unknown = bucket({ algorithm: UNKNOWN.string, keyName: "k" }, "later");
    const bad = bucket({ algorithm: "sse-s3", keyName: "minio-default" }, "now");
    const out = run(P, [unknown, bad]);
    expect(out.violations.map((v) => v.urn)).toEqual([bad.urn]);
    expect(out.deferred?.message).toMatch(/can't be known during preview.*EncryptedBucket "later"/);
  });
});

describe(`${POLICY_NAMES.bucketSseKms}: EncryptedBuckets`, () => {
  const P = POLICY_NAMES.bucketSseKms;
  const many = (buckets: unknown) => res(TYPES.encryptedBuckets, "all", { buckets, verified: {} });

  it("checks every bucket of the list, naming the one that breaks the rule, and honours exemptBuckets", () => {
    const r = many([
      { bucket: "invoices", algorithm: "sse-kms", keyName: "minio-invoices" },
      { bucket: "logs", algorithm: "sse-s3", keyName: "minio-default" },
      { bucket: "tmp", algorithm: "sse-kms", keyName: "" },
    ]);
    const { violations } = run(P, [r]);
    expect(violations.map((v) => v.urn)).toEqual([r.urn, r.urn]);
    expect(violations[0]!.message).toContain('EncryptedBuckets "all" bucket "logs" encrypts with "sse-s3"');
    expect(violations[1]!.message).toMatch(
      /EncryptedBuckets "all" bucket "tmp" uses SSE-KMS without a named key/,
    );
    expect(run(P, [r], { exemptBuckets: ["logs", "tmp"] }).violations).toEqual([]);
  });

  it("fails closed without a buckets output, and defers while it is unknown", () => {
    expect(run(P, [res(TYPES.encryptedBuckets, "old", {})]).violations[0]!.message).toMatch(
      /EncryptedBuckets "old" \(no buckets output\) does not expose/,
    );
    expect(run(P, [many(UNKNOWN.string)]).deferred?.message).toMatch(/EncryptedBuckets "all" \(buckets\)/);
  });
});

describe(`${POLICY_NAMES.sshHostKeys}`, () => {
  const P = POLICY_NAMES.sshHostKeys;

  it("passes when every component host and every command has a host key", () => {
    const kes = kesServer();
    const cmd = res(
      TYPES.remoteCommand,
      "kes-kes1-files",
      { connection: connection({ hostKey: HOST_KEY }) },
      kes,
    );
    const up = res(
      TYPES.copyToRemote,
      "kes-kes1-kes-upload",
      { connection: connection({ hostKey: HOST_KEY }), remotePath: "/var/tmp/x" },
      kes,
    );
    expect(run(P, [kes, minioDeployment(), cmd, up]).violations).toEqual([]);
  });

  it("fails a component with unpinned hosts once, not once per command below it", () => {
    const kes = kesServer({ unpinnedHosts: ["kes1", "kes2"] });
    const cmds = ["system", "kes-binary", "files", "unit", "service"].map((c) =>
      res(TYPES.remoteCommand, `kes-kes1-${c}`, { connection: connection() }, kes),
    );
    const { violations } = run(P, [kes, ...cmds]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.urn).toBe(kes.urn);
    expect(violations[0]!.message).toContain(
      'KesServer "kes" reaches hosts kes1, kes2 without a pinned SSH host key',
    );
    expect(violations[0]!.message).toContain("Fix: set hosts[].hostKey for kes1, kes2");
    expect(violations[0]!.message).toContain("ssh-keyscan -t ed25519");
  });

  it("names nodes[] for a MinioDeployment, and covers EncryptedBucket steps on its nodes", () => {
    const minio = minioDeployment({ unpinnedHosts: ["minio1"] });
    const b = res(TYPES.encryptedBucket, "logs", { algorithm: "sse-kms", keyName: "k", bucket: "logs" });
    const step = res(TYPES.remoteCommand, "logs-minio1-bucket", { connection: connection() }, b);
    const { violations } = run(P, [minio, b, step]);
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringContaining('MinioDeployment "minio" reaches host minio1'),
    ]);
    expect(violations[0]!.message).toContain("Fix: set nodes[].hostKey for minio1");
  });

  it("fails a command of your own without connection.hostKey (connection arrives as plaintext)", () => {
    const mine = res(TYPES.remoteCommand, "backup-cron", { connection: connection({ host: "10.0.0.99" }) });
    const { violations } = run(P, [mine]);
    expect(violations).toEqual([
      {
        urn: mine.urn,
        message: expect.stringMatching(
          /^Command "backup-cron" connects to 10\.0\.0\.99 without connection\.hostKey.*Fix: set hostKey/,
        ),
      },
    ]);
  });

  it("fails a bastion without proxy.hostKey even when the host itself is pinned", () => {
    const kes = kesServer();
    const cmd = res(
      TYPES.remoteCommand,
      "kes-kes1-system",
      {
        connection: connection({
          hostKey: HOST_KEY,
          proxy: { host: "bastion.example.net", user: "jump", privateKey: "k" },
        }),
      },
      kes,
    );
    const { violations } = run(P, [kes, cmd]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toContain(
      'Command "kes-kes1-system" connects through the bastion bastion.example.net',
    );
    expect(violations[0]!.message).toContain("Fix: set bastion.hostKey");
  });

  it("counts a host key that is unknown during preview as set", () => {
    const cmd = res(TYPES.remoteCommand, "vm-setup", { connection: connection({ hostKey: UNKNOWN.string }) });
    expect(run(P, [cmd])).toEqual({ violations: [] });
  });

  it("skips commands whose connection is not visible, and all commands with checkCommands: false", () => {
    const hidden = res(TYPES.remoteCommand, "no-conn", { create: "true" });
    const open = res(TYPES.remoteCommand, "open", { connection: connection() });
    expect(run(P, [hidden]).violations).toEqual([]);
    expect(run(P, [open], { checkCommands: false }).violations).toEqual([]);
  });

  it("fails closed when a component does not expose unpinnedHosts", () => {
    const { violations } = run(P, [res(TYPES.kesServer, "kes", { keystoreKind: "vault" })]);
    expect(violations[0]!.message).toMatch(/KesServer "kes" does not expose unpinnedHosts.*Fix: upgrade/);
  });
});

describe(`${POLICY_NAMES.kesKeyDeletion}`, () => {
  const P = POLICY_NAMES.kesKeyDeletion;
  const client = (allow: string[], deny?: string[]) => ({
    name: "app",
    allow,
    deny,
    identities: ["ab".repeat(32)],
  });

  it("passes the library's MinIO policy and a narrow client that denies deletion", () => {
    const kes = kesServer({
      policies: [
        minioKesPolicy({ keyNames: ["minio-*"], identities: [MINIO_ID] }),
        client(["/v1/key/generate/app-*", "/v1/key/decrypt/app-*"], ["/v1/key/delete/*"]),
      ],
    });
    expect(run(P, [kes]).violations).toEqual([]);
  });

  it.each([
    ["/v1/key/delete/*"],
    ["/v1/key/delete/app-*"],
    ["/v1/key/delete/app-key"],
    ["/v1/key/*"],
    ["/v1/key/d*"],
    ["/v1/*"],
    ["*"],
    ["/v1/key/*/*"],
  ])("fails a client policy that allows %s, naming the policy and the fix", (pattern) => {
    const kes = kesServer({
      policies: [
        minioKesPolicy({ keyNames: ["minio-*"], identities: [MINIO_ID] }),
        client([pattern], ["/v1/key/delete/*"]),
      ],
    });
    const { violations } = run(P, [kes]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.urn).toBe(kes.urn);
    expect(violations[0]!.message).toContain(
      `KesServer "kes": KES policy "app" allows ${JSON.stringify(pattern)}`,
    );
    expect(violations[0]!.message).toContain('Fix: in clients[] entry "app", replace that pattern');
  });

  it("fails a policy that does not deny deletion", () => {
    const kes = kesServer({ policies: [client(["/v1/key/generate/app-*"])] });
    const { violations } = run(P, [kes]);
    expect(violations.map((v) => v.message)).toEqual([
      'KesServer "kes": KES policy "app" does not deny /v1/key/delete/*. Fix: add deny: ["/v1/key/delete/*"] to clients[] entry "app".',
    ]);
  });

  it("checks the extra paths given in forbiddenPaths", () => {
    const kes = kesServer({
      policies: [client(["/v1/key/import/app-*"], ["/v1/key/delete/*"])],
    });
    expect(run(P, [kes]).violations).toEqual([]);
    const msgs = run(P, [kes], { forbiddenPaths: ["/v1/key/delete/*", "/v1/key/import/"] }).violations.map(
      (v) => v.message,
    );
    expect(msgs).toEqual([
      expect.stringContaining('allows "/v1/key/import/app-*", which matches /v1/key/import/'),
      expect.stringContaining("does not deny /v1/key/import/*"),
    ]);
  });

  it("defers while the policies output is unknown (first preview: identities come from new keys)", () => {
    const out = run(P, [kesServer({ policies: UNKNOWN.array })]);
    expect(out.violations).toEqual([]);
    expect(out.deferred?.message).toMatch(
      /Array value at \.policies can't be known.*KesServer "kes" \(policies\)/,
    );
  });

  it("reads policyRules, known at preview time, even while policies is still unknown", () => {
    const bad = kesServer({
      policies: UNKNOWN.array,
      policyRules: [{ name: "app", allow: ["/v1/key/*"], deny: ["/v1/key/delete/*"] }],
    });
    const out = run(P, [bad]);
    expect(out.deferred).toBeUndefined();
    expect(out.violations.map((v) => v.message)).toEqual([
      expect.stringContaining('KES policy "app" allows "/v1/key/*"'),
    ]);
    const good = kesServer({
      policies: UNKNOWN.array,
      policyRules: [{ name: "minio", allow: ["/v1/key/generate/minio-*"], deny: ["/v1/key/delete/*"] }],
    });
    expect(run(P, [good]).violations).toEqual([]);
  });

  it("matches KES path patterns as KES does", () => {
    const d = "/v1/key/delete/";
    expect(allowsUnder("/v1/key/describe/*", d)).toBe(false);
    expect(allowsUnder("/v1/key/list/*", d)).toBe(false);
    expect(allowsUnder("/v1/key/delete", d)).toBe(false);
    expect(allowsUnder("/v1/key/?elete/x", d)).toBe(true);
    expect(allowsUnder("/v1/key/[cd]elete/*", d)).toBe(true);
    expect(coversAll("/v1/key/delete/*", d)).toBe(true);
    expect(coversAll("/v1/*", d)).toBe(true);
    expect(coversAll("/v1/key/delete/minio-*", d)).toBe(false);
    expect(coversAll("/v1/key/delete/x", d)).toBe(false);
  });
});

describe(`${POLICY_NAMES.certificates}`, () => {
  const P = POLICY_NAMES.certificates;
  // "now" in the harness is 2026-11-27T12:00:00Z.
  const tlsCert = (
    name: string,
    parent: ReturnType<typeof res> | undefined,
    props: Record<string, unknown>,
    type: string = TYPES.locallySignedCert,
  ) =>
    res(
      type,
      name,
      { allowedUses: ["digital_signature", "server_auth"], certPem: "-----BEGIN CERTIFICATE-----", ...props },
      parent,
    );

  function generatedKes(hours: number, end: string) {
    const kes = kesServer({ certificateNotAfter: { kes1: end } });
    const ca = res(TYPES.certificateAuthority, "kes-ca", { notAfter: "2036-11-20T10:00:00Z" }, kes);
    const caCert = tlsCert(
      "kes-ca-cert",
      ca,
      { isCaCertificate: true, validityPeriodHours: 87600, validityEndTime: "2036-11-20T10:00:00Z" },
      TYPES.selfSignedCert,
    );
    const leaf = tlsCert("kes-kes1-server-cert", kes, {
      isCaCertificate: false,
      validityPeriodHours: hours,
      validityEndTime: end,
    });
    return { kes, ca, caCert, leaf, all: [kes, ca, caCert, leaf] };
  }

  it("passes the library defaults (365-day leaves, 10-year CA)", () => {
    expect(run(P, generatedKes(8760, "2027-11-20T10:00:00Z").all).violations).toEqual([]);
  });

  it("fails a leaf certificate valid for longer than maxValidityDays, naming the component to change", () => {
    const g = generatedKes(17520, "2028-11-20T10:00:00Z");
    const { violations } = run(P, g.all);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.urn).toBe(g.leaf.urn);
    expect(violations[0]!.urn).toBe(
      `urn:pulumi:${STACK}::minio::minio-kes:kes:KesServer$tls:index/locallySignedCert:LocallySignedCert::kes-kes1-server-cert`,
    );
    expect(violations[0]!.message).toBe(
      'LocallySignedCert "kes-kes1-server-cert" (in KesServer "kes") is a certificate valid for 730 days; the limit is 398 days. ' +
        'Fix: set tls.validityHours on KesServer "kes" to at most 9552.',
    );
  });

  it("takes maxValidityDays from policy pack config", () => {
    const { violations } = run(P, generatedKes(8760, "2027-11-20T10:00:00Z").all, { maxValidityDays: 90 });
    expect(violations.map((v) => v.message)).toEqual([expect.stringContaining("the limit is 90 days")]);
  });

  it("fails a certificate within minRemainingDays of expiry once (on the certificate, not again on the component)", () => {
    const g = generatedKes(8760, "2026-12-07T12:00:00Z");
    const { violations } = run(P, g.all);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.urn).toBe(g.leaf.urn);
    expect(violations[0]!.message).toContain(
      'LocallySignedCert "kes-kes1-server-cert" (in KesServer "kes") expires on 2026-12-07, in 10 days (less than 30)',
    );
    expect(violations[0]!.message).toContain(
      'Fix: on KesServer "kes", renew it: set a new tls.rotation value',
    );
  });

  it("checks certificates you bring (component facts with no @pulumi/tls certificate below)", () => {
    const expiring = minioDeployment({ certificateNotAfter: { minio1: "2026-12-01T00:00:00Z" } });
    const tooLong = kesServer({ certificateNotAfter: { kes1: "2031-11-27T00:00:00Z" } });
    const expired = kesServer({ certificateNotAfter: { kes2: "2026-11-01T00:00:00Z" } }, "kes-b");
    const msgs = run(P, [expiring, tooLong, expired]).violations.map((v) => v.message);
    expect(msgs).toEqual([
      expect.stringMatching(
        /^MinioDeployment "minio" certificate of host minio1 expires on 2026-12-01, in 3\.5 days/,
      ),
      expect.stringMatching(
        /^KesServer "kes" certificate of host kes1 is valid until 2031-11-27, 1825 days from now; the limit is 398 days\. Fix: issue tls\.certificates\.kes1/,
      ),
      expect.stringMatching(/^KesServer "kes-b" certificate of host kes2 expired on 2026-11-01\. Fix:/),
    ]);
  });

  it("ignores certificates outside the library unless scope is stack", () => {
    const other = tlsCert("ingress-cert", undefined, {
      validityPeriodHours: 26280,
      validityEndTime: "2029-11-27T00:00:00Z",
    });
    expect(run(P, [other]).violations).toEqual([]);
    expect(run(P, [other], { scope: "stack" }).violations.map((v) => v.message)).toEqual([
      'LocallySignedCert "ingress-cert" is a certificate valid for 1095 days; the limit is 398 days. Fix: set validityPeriodHours to at most 9552.',
    ]);
  });

  it("does not defer on an expiry that is unknown while certificates are (re)issued", () => {
    const g = generatedKes(8760, UNKNOWN.string);
    const kes = kesServer({ certificateNotAfter: UNKNOWN.object });
    expect(run(P, [kes, g.leaf])).toEqual({ violations: [] });
  });
});

describe(`${POLICY_NAMES.filesystemKeystore}`, () => {
  const P = POLICY_NAMES.filesystemKeystore;
  const kms = (kind: string, extra: Record<string, unknown> = {}) =>
    res(TYPES.kmsTarget, "kms", { kind, ...extra });
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("passes a KMS-backed keystore", () => {
    expect(run(P, [kms("vault"), kesServer({ keystoreKind: "vault" })]).violations).toEqual([]);
  });

  it("fails the filesystem keystore in a stack not marked for development, once, on the KmsTarget", () => {
    const k = kms("fs");
    const { violations } = run(P, [k, kesServer({ keystoreKind: "fs" })]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.urn).toBe(k.urn);
    expect(violations[0]!.message).toContain('KmsTarget "kms" uses the filesystem keystore in stack "prod"');
    expect(violations[0]!.message).toContain(
      'Fix: replace filesystem with a KMS (vault, aws, gcp, azure, entrust, fortanix or thales) in KmsTarget "kms", or, if "prod" is a development stack, add it to this policy\'s developmentStacks.',
    );
  });

  it("reads developmentOnly too, and reports a KesServer when no KmsTarget says so", () => {
    expect(run(P, [kms("custom", { developmentOnly: true })]).violations).toHaveLength(1);
    const { violations } = run(P, [kesServer({ keystoreKind: "fs" })]);
    expect(violations[0]!.message).toMatch(
      /^KesServer "kes" stores its keys in the filesystem keystore.*Fix: give it a KmsTarget/,
    );
  });

  it("allows it in development stacks: by name, by pattern, by project/stack, or everywhere", () => {
    const all = [kms("fs")];
    expect(run(P, all, { developmentStacks: ["prod"] }).violations).toEqual([]);
    expect(
      run(P, all, {}, { stack: { stack: "dev-alice" }, filesystemKeystore: { developmentStacks: ["dev-*"] } })
        .violations,
    ).toEqual([]);
    expect(run(P, all, { developmentStacks: ["minio/prod"] }).violations).toEqual([]);
    expect(run(P, all, { developmentStacks: ["other/prod"] }).violations).toHaveLength(1);
    expect(run(P, all, { allowDevelopmentKeystore: true }).violations).toEqual([]);
  });

  it("takes the stack name from PULUMI_NODEJS_STACK, as the language host sets it for policy packs", () => {
    process.env.PULUMI_NODEJS_STACK = "dev";
    const all = [kms("fs")];
    const opts = { stack: {} };
    expect(run(P, all, { developmentStacks: ["dev"] }, opts).violations).toEqual([]);
    process.env.PULUMI_NODEJS_STACK = "prod";
    expect(run(P, all, { developmentStacks: ["dev"] }, opts).violations).toHaveLength(1);
    delete process.env.PULUMI_NODEJS_STACK;
    delete process.env.PULUMI_STACK;
    const unknownStack = run(P, all, { developmentStacks: ["dev"] }, opts).violations;
    expect(unknownStack[0]!.message).toContain("this stack (its name is unknown to the policy pack)");
  });
});

describe("policy pack factory", () => {
  it("builds five stack policies, mandatory by default, with config schemas whose defaults are the options", () => {
    const args = policyPackArgs({ certificates: { maxValidityDays: 90 } });
    expect(args.enforcementLevel).toBe("mandatory");
    expect(args.policies.map((p) => [p.name, p.enforcementLevel, "validateStack" in p])).toEqual(
      Object.values(POLICY_NAMES).map((n) => [n, "mandatory", true]),
    );
    const cert = args.policies.find((p) => p.name === POLICY_NAMES.certificates)!;
    expect(cert.configSchema?.properties["maxValidityDays"]?.default).toBe(90);
    expect(cert.configSchema?.properties["minRemainingDays"]?.default).toBe(DEFAULTS.minRemainingDays);
  });

  it("lets the whole pack or one policy be advisory or disabled", () => {
    const args = policyPackArgs({
      enforcementLevel: "advisory",
      certificates: { enforcementLevel: "disabled" },
    });
    expect(args.policies.map((p) => p.enforcementLevel)).toEqual([
      "advisory",
      "advisory",
      "advisory",
      "disabled",
      "advisory",
    ]);
  });
});
