/**
 * The pack behind @pulumi/policy's own AnalyzeStack gRPC handler, fed protobuf requests shaped as
 * the engine marshals them (pkg/resource/plugin/analyzer_plugin.go: outputs with
 * KeepUnknowns + KeepSecrets): secrets arrive as signature objects and unknowns as sentinel
 * strings. This checks what the policies see through the real deserialisation path, and how
 * @pulumi/policy turns the rethrown "unknown during preview" error into an advisory message.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { POLICY_NAMES, policyPackArgs, TYPES } from "../../lib/policy";
import { UNKNOWN } from "./harness";

const require_ = createRequire(__filename);
const server = require_("@pulumi/policy/server") as {
  makeAnalyzeStackRpcFun(
    name: string,
    version: string,
    level: string,
    policies: unknown[],
  ): (call: { request: unknown }, cb: (err: unknown, res?: AnalyzeResponse) => void) => Promise<void>;
};
const analyzerPb = require_("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require_("google-protobuf/google/protobuf/struct_pb");

interface AnalyzeResponse {
  getDiagnosticsList(): {
    getPolicyname(): string;
    getMessage(): string;
    getUrn(): string;
    getEnforcementlevel(): number;
  }[];
}

/** The engine's secret signature (sdk/go/common/resource/sig). */
const secret = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});

function resource(type: string, name: string, props: Record<string, unknown>, parent = "") {
  const r = new analyzerPb.AnalyzerResource();
  const prefix = parent ? `${parent.split("::")[2]}$` : "";
  r.setUrn(`urn:pulumi:prod::minio::${prefix}${type}::${name}`);
  r.setType(type);
  r.setName(name);
  r.setProperties(Struct.fromJavaScript(props));
  r.setOptions(new analyzerPb.AnalyzerResourceOptions());
  r.setParent(parent);
  return r;
}

async function analyzeStack(resources: unknown[]) {
  const args = policyPackArgs({ stack: { stack: "prod" }, now: () => new Date("2026-11-27T12:00:00Z") });
  const fn = server.makeAnalyzeStackRpcFun("minio-kes", "0.1.0", "mandatory", args.policies);
  const req = new analyzerPb.AnalyzeStackRequest();
  req.setResourcesList(resources);
  const res = await new Promise<AnalyzeResponse>((resolve, reject) => {
    void fn({ request: req }, (err, r) => (err ? reject(err) : resolve(r!)));
  });
  const levels: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
  return res.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    level: levels[d.getEnforcementlevel()],
    urn: d.getUrn(),
    message: d.getMessage(),
  }));
}

describe("wire format: @pulumi/policy's AnalyzeStack handler", () => {
  it("unwraps secret outputs (unpinnedHosts, a command's connection) before the policies read them", async () => {
    const kes = resource(TYPES.kesServer, "kes", {
      keystoreKind: "vault",
      unpinnedHosts: secret(["kes1"]),
      certificateNotAfter: { kes1: "2027-06-01T00:00:00Z" },
      policies: [
        { name: "minio", allow: ["/v1/key/generate/minio-*"], deny: ["/v1/key/delete/*"], identities: ["a"] },
      ],
    });
    const own = resource(TYPES.remoteCommand, "backup", {
      connection: secret({ host: "10.0.0.9", user: "root", privateKey: "k" }),
      create: "backup.sh",
    });
    const diags = await analyzeStack([kes, own]);
    expect(diags).toEqual([
      {
        policy: POLICY_NAMES.sshHostKeys,
        level: "mandatory",
        urn: "urn:pulumi:prod::minio::minio-kes:kes:KesServer::kes",
        message: expect.stringContaining('KesServer "kes" reaches host kes1 without a pinned SSH host key'),
      },
      {
        policy: POLICY_NAMES.sshHostKeys,
        level: "mandatory",
        urn: "urn:pulumi:prod::minio::command:remote:Command::backup",
        message: expect.stringContaining('Command "backup" connects to 10.0.0.9 without connection.hostKey'),
      },
    ]);
  });

  it("turns an unknown fact into one advisory 'can't run during preview' and keeps the violations found", async () => {
    const kesA = resource(TYPES.kesServer, "kes-a", {
      keystoreKind: "vault",
      unpinnedHosts: [],
      certificateNotAfter: UNKNOWN.string,
      policies: UNKNOWN.string,
    });
    const kesB = resource(TYPES.kesServer, "kes-b", {
      keystoreKind: "vault",
      unpinnedHosts: [],
      certificateNotAfter: {},
      policies: [{ name: "app", allow: ["*"], identities: ["b"] }],
    });
    const diags = await analyzeStack([kesA, kesB]);
    expect(diags.map((d) => [d.policy, d.level, d.urn.split("::").pop()])).toEqual([
      [POLICY_NAMES.kesKeyDeletion, "mandatory", "kes-b"],
      [POLICY_NAMES.kesKeyDeletion, "mandatory", "kes-b"],
      [POLICY_NAMES.kesKeyDeletion, "advisory", ""],
    ]);
    expect(diags[2]!.message).toMatch(
      /^can't run policy 'minio-kes-kes-no-key-deletion' from policy pack 'minio-kes@v0\.1\.0' during preview: .*KesServer "kes-a" \(policies\)/,
    );
  });
});
