/**
 * @internal The service kit: how the library puts a service on a host, in the order every
 * service needs (prerequisites → service user → binary → files → unit), and how it chooses each
 * host's server certificate (brought or generated). `KesServer` and `MinioDeployment` declare
 * only what is theirs (their files, their restart policy, their health checks) and build the
 * rest from here, so a fix to a file's ownership or a certificate lands once.
 */
import { X509Certificate } from "node:crypto";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { BINARY_DIR } from "../core/defaults";
import * as rules from "../core/rules";
import {
  checkPreinstalledBinaryScript,
  type DriftFile,
  encodeFilesStdin,
  ensurePrerequisitesScript,
  ensureServiceUserScript,
  installBinaryScript,
  installUnitScript,
  removeUnitScript,
  UPLOAD_DIR,
  uploadDirScript,
  writeFilesScript,
} from "../core/scripts";
import { combinedScript } from "../core/shell";
import type { BinarySourceArgs, DriftCheckArgs, TlsArgs } from "./args";
import { type HostArgs, hostConnection } from "./hosts";
import {
  CertificateAuthority,
  checked,
  checkedCertificate,
  type DriftFiles,
  driftCheckStep,
  hostStep,
  issueCertificate,
  type KeyUsage,
  type Revisions,
  type StepArgs,
  warnExpiringCertificates,
} from "./internal";

/** A certificate and its private key (secret), as PEM. */
export interface CertificatePair {
  /** Certificate (PEM). */
  certPem: pulumi.Output<string>;
  /** Private key (PEM), secret. */
  keyPem: pulumi.Output<string>;
}

/** Where a binary is on the host: its `preinstalledPath`, else `/usr/local/bin/<name>`. */
export function binaryInstallPath(src: BinarySourceArgs, defaultName: string): string {
  return src.preinstalledPath ?? `${BINARY_DIR}/${src.name ?? defaultName}`;
}

/**
 * What a binary's restart trigger stands for: its sha256, or, for a `preinstalledPath` without
 * one, the path.
 */
export function binaryRevision(src: BinarySourceArgs, defaultName: string): string {
  return src.sha256 ? `sha256:${src.sha256}` : `path:${binaryInstallPath(src, defaultName)}`;
}

/** Hosts reached without a pinned SSH host key (their own, or their bastion's). */
export function unpinnedHosts(hosts: HostArgs[]): string[] {
  return hosts
    .filter((h) => h.hostKey === undefined || (h.bastion !== undefined && h.bastion.hostKey === undefined))
    .map((h) => h.name);
}

/** One binary on one host: where it comes from and how the steps that install it are named. */
export interface BinaryInstall {
  /** The binary's source. */
  src: BinarySourceArgs;
  /** Its default file name, also the steps' concern prefix (`<name>-binary`). */
  defaultName: string;
  /** How errors name the component and the argument (`MinioDeployment minio`, `mc`). */
  where: { component: string; field: string };
  /** Stage the binary next to its path; the service step makes it live (installBinaryScript `stage`). */
  stage?: boolean;
  /** A drift repair's label: a new one re-runs the install (hostStep `rerun`). */
  rerun?: string;
}

/** Steps that install a binary on one host; returns the last step. */
export function installBinarySteps(
  parent: pulumi.Resource,
  componentName: string,
  host: HostArgs,
  b: BinaryInstall,
  dependsOn: pulumi.Resource[],
): { step: command.remote.Command; path: string; revision: string; staged: boolean } {
  const { src, defaultName } = b;
  const revision = binaryRevision(src, defaultName);
  const concern = `${defaultName}-binary`;
  if (src.preinstalledPath !== undefined) {
    const step = hostStep(parent, componentName, host, concern, {
      create: checkPreinstalledBinaryScript({ path: src.preinstalledPath, sha256: src.sha256 }),
      dependsOn,
    });
    return { step, path: src.preinstalledPath, revision, staged: false };
  }
  const path = binaryInstallPath(src, defaultName);
  const stage = b.stage ?? false;
  if (src.localPath !== undefined) {
    // Copied into a directory only the SSH user can write (UPLOAD_DIR below /var/lib, made by a
    // step before every upload), never into the world-writable /var/tmp.
    const file = `${src.name ?? defaultName}-${src.sha256}`;
    const staged = `${UPLOAD_DIR}/${file}`;
    const uploadDir = hostStep(parent, componentName, host, `${defaultName}-upload-dir`, {
      create: pulumi.output(host.user ?? "root").apply((owner) => uploadDirScript({ owner, file })),
      dependsOn,
    });
    const upload = new command.remote.CopyToRemote(
      `${componentName}-${host.name}-${defaultName}-upload`,
      {
        connection: hostConnection(host),
        source: new pulumi.asset.FileAsset(src.localPath),
        remotePath: staged,
        triggers: [src.sha256],
      },
      { parent, dependsOn: [uploadDir] },
    );
    const step = hostStep(parent, componentName, host, concern, {
      create: installBinaryScript({ destPath: path, sha256: src.sha256!, uploadedPath: staged, stage }),
      dependsOn: [upload],
      rerun: b.rerun,
    });
    return { step, path, revision, staged: stage };
  }
  // A URL given as an Output, or with a query (a presigned URL: its signature is a credential),
  // is a secret: it travels on stdin, is secret in state, and is on no command line.
  const url = src.url!;
  const secretUrl = typeof url !== "string" || url.includes("?");
  const step = hostStep(parent, componentName, host, concern, {
    create: secretUrl
      ? installBinaryScript({ destPath: path, sha256: src.sha256!, urlOnStdin: true, stage })
      : installBinaryScript({ destPath: path, sha256: src.sha256!, url, stage }),
    ...(secretUrl
      ? {
          stdin: pulumi
            .secret(checked(parent, b.where.component, `${b.where.field}.url`, url, rules.downloadUrl))
            .apply((u) => `${u}\n`),
          secret: true,
        }
      : {}),
    dependsOn,
    rerun: b.rerun,
  });
  return { step, path, revision, staged: stage };
}

/** The service's own account on every host. */
export interface ServiceAccount {
  /** User and group the service runs as. */
  user: string;
  /** Its home directory. */
  home: string;
}

/**
 * One host's service, step by step: the kit creates the prerequisites and the user
 * ({@link ServiceHost.installAccount}), then the binary, the files and the unit as the component
 * declares them. Every file is root's and read by the service through its group (it never owns
 * its configuration), and every file and binary is declared to the host's drift check.
 */
export class ServiceHost {
  /**
   * The system step (the prerequisites, curl among them, and the service user), once
   * {@link ServiceHost.installAccount} made it.
   */
  system?: command.remote.Command;
  /** What the binary and the files wait for: the system step, else what the host began after. */
  private base: pulumi.Resource[];

  constructor(
    private readonly parent: pulumi.Resource,
    private readonly componentName: string,
    readonly host: HostArgs,
    readonly account: ServiceAccount,
    readonly drift: DriftFiles,
    /** What the first step waits for (the component's preflights). */
    private readonly after: pulumi.Resource[],
    /** A drift repair's label (hostStep `rerun`). */
    private readonly rerun?: string,
  ) {
    this.base = after;
  }

  /**
   * One step (`system`) that prepares the host: the prerequisites, the service user, then
   * `more` (the drive directories, a keystore directory), each as its own script. Returns it.
   */
  installAccount(more: ReadonlyArray<{ label: string; script: string }> = []): command.remote.Command {
    const user = this.account.user;
    const step = this.step("system", {
      create: combinedScript(
        `prepare the host for ${user}: tools, system user${more.map((m) => `, ${m.label}`).join("")}`,
        [
          { label: "prereqs", script: ensurePrerequisitesScript() },
          {
            label: "user",
            script: ensureServiceUserScript({ user, group: user, home: this.account.home }),
          },
          ...more,
        ],
      ),
      dependsOn: this.after,
    });
    this.system = step;
    this.base = [step];
    return step;
  }

  /** A step of this host (`<component>-<host>-<concern>`). */
  step(concern: string, a: StepArgs): command.remote.Command {
    return hostStep(this.parent, this.componentName, this.host, concern, a);
  }

  /** The service's binary, after the user; declared to the drift check. */
  binary(b: Omit<BinaryInstall, "rerun">): ReturnType<typeof installBinarySteps> {
    const installed = installBinarySteps(
      this.parent,
      this.componentName,
      this.host,
      { ...b, rerun: this.rerun },
      this.base,
    );
    this.drift.binary(b.src, installed.path, `${b.defaultName}-binary`);
    return installed;
  }

  /**
   * The files the service reads, written by root in one step (`concern`), each as
   * {@link ServiceFile} says, and declared to the drift check. Its triggers name each file by path
   * with its revision (a digest, keyed for secrets; the content itself when `shown`), so a preview
   * says which file changes without showing a secret. None when `list` is empty.
   */
  files(concern: string, list: ServiceFile[], rev: Revisions): command.remote.Command | undefined {
    if (list.length === 0) return undefined;
    for (const f of list) this.drift.file(f.path, f.content, f.mode, f.group, concern);
    const script = writeFilesScript(
      list.map((f) => ({
        label: f.concern,
        path: f.path,
        mode: f.mode,
        owner: "root",
        group: f.group,
        ...(f.dir
          ? { dirMode: "0750", dirOwner: "root", dirGroup: this.account.user, ownDir: f.dir.own }
          : {}),
        stage: f.stage,
      })),
    );
    const revisions = pulumi.all(
      Object.fromEntries(
        list.map((f) => [
          f.path,
          f.shown
            ? pulumi.unsecret(pulumi.output(f.content))
            : f.secret
              ? rev.secret(f.concern, f.content)
              : rev.plain(f.concern, f.content),
        ]),
      ),
    );
    const after = [...new Set(list.flatMap((f) => f.after ?? this.base))];
    return this.step(concern, {
      create: script,
      update: script,
      stdin: pulumi.all(list.map((f) => f.content)).apply(encodeFilesStdin),
      secret: list.some((f) => f.secret),
      rerun: this.rerun,
      triggers: [revisions, ...list.flatMap((f) => f.triggers ?? [])],
      dependsOn: after,
    });
  }

  /** The systemd unit (`text`), after `binary`; its delete removes it only if this step wrote it. */
  unit(unitName: string, unitFile: string, text: string, binary: pulumi.Resource, stage?: boolean) {
    const step = this.step("unit", {
      create: installUnitScript(stage ? { unitName, stage } : { unitName }),
      delete: removeUnitScript({ unitName, owner: `${this.componentName}-${this.host.name}-unit` }),
      stdin: text,
      dependsOn: [binary],
      rerun: this.rerun,
    });
    this.drift.file(unitFile, text, "0644", "root", "unit");
    return step;
  }
}

/** A file of a service on one host. */
export interface ServiceFile {
  /** The step's concern (`config`, `tls-key`). */
  concern: string;
  /** Absolute path on the host. */
  path: string;
  /** The content, on the step's stdin. */
  content: pulumi.Input<string>;
  /** Whether the content is a secret (no logs, secret outputs). */
  secret: boolean;
  /** File mode (`0640`). */
  mode: string;
  /** The file's group: the service's (it reads it) or root's. */
  group: string;
  /** The parent directory: root's, mode 0750, the service's group; `own` when the library made it. */
  dir?: { own: boolean };
  /** Write it next to its path; the service step makes it live. */
  stage?: boolean;
  /**
   * Its content, not only its digest, is the step's trigger, so a preview shows what changes in
   * it (the KES config, which holds no secret). Never for secret content.
   */
  shown?: boolean;
  /** Values whose change re-runs the step (a preview then names them). */
  triggers?: pulumi.Input<unknown>[];
  /** What it waits for. Default: the system step (or, without one, what the host began after). */
  after?: pulumi.Resource[];
}

/**
 * A file a service reads: root's, 0644 (0640 when secret), read through the service's group
 * `group`; its directory root's (0750, the service's group), made by the library when `ownDir`.
 */
export function readByService(
  concern: string,
  path: string,
  content: pulumi.Input<string>,
  secret: boolean,
  group: string,
  ownDir: boolean,
): ServiceFile {
  return { concern, path, content, secret, mode: secret ? "0640" : "0644", group, dir: { own: ownDir } };
}

/** How a component's server certificates are made when not brought. */
export interface ServerCertificateSpec {
  /** The component's name and how errors name it (`KesServer kes`). */
  name: string;
  component: string;
  /** The `tls` argument. */
  tls: TlsArgs;
  /** The common name of a generated CA (`<name> KES CA`). */
  caCommonName: string;
  /** A generated CA is needed even when every host brings its certificate (client certificates). */
  needCa?: boolean;
  /** The SANs of a generated certificate for a host at `address`. */
  sans: (address: pulumi.Output<string>) => pulumi.Input<string>[];
  /** Its key usages. */
  uses: KeyUsage[];
  /** Its validity, in hours. */
  validityHours: number;
  /** A host name a brought certificate must also cover on `host` (`localhost` for mc). */
  alsoCovers?: (host: HostArgs) => string | undefined;
  /** Days before expiry to warn from. */
  expiryWarningDays: number;
}

/** The CA and every host's server certificate of a component, with their expiry. */
export interface ServerCertificates {
  /** The CA that signs generated certificates (the user's, or one of ours), when one is needed. */
  ca?: CertificatePair;
  /** The CA certificate peers verify with (`tls.caCertPem`, else the signing CA's). */
  caCertPem: pulumi.Output<string>;
  /** Each host's server certificate. */
  servers: Record<string, CertificatePair>;
  /** Expiry (RFC 3339) of each host's certificate. */
  notAfter: pulumi.Output<Record<string, string>>;
}

/**
 * Every host's server certificate, through one rule: a certificate brought in
 * `tls.certificates.<host>` (checked to cover the host once it resolves), else one signed by
 * `tls.ca` or by a CA the component makes (`<name>-ca`). Warns of any that expires soon.
 */
export function serverCertificates(
  parent: pulumi.Resource,
  hosts: HostArgs[],
  s: ServerCertificateSpec,
): ServerCertificates {
  const chk = (field: string, v: pulumi.Input<string>, rule: rules.Rule) =>
    checked(parent, s.component, field, v, rule);
  const byo = s.tls.certificates ?? {};
  let ca: CertificatePair | undefined;
  if (s.tls.ca) {
    ca = {
      certPem: chk("tls.ca.certPem", s.tls.ca.certPem, rules.certificatePem),
      keyPem: pulumi.secret(chk("tls.ca.keyPem", s.tls.ca.keyPem, rules.privateKeyPem)),
    };
  } else if (s.needCa || hosts.some((h) => !(h.name in byo))) {
    const own = new CertificateAuthority(
      `${s.name}-ca`,
      { commonName: s.caCommonName, rotation: s.tls.rotation },
      { parent },
    );
    ca = { certPem: own.certPem, keyPem: own.keyPem };
  }
  const caCertPem =
    s.tls.caCertPem !== undefined ? chk("tls.caCertPem", s.tls.caCertPem, rules.certificatePem) : ca!.certPem;
  const servers: Record<string, CertificatePair> = {};
  const notAfter: Record<string, pulumi.Output<string>> = {};
  for (const host of hosts) {
    const brought = byo[host.name];
    if (brought) {
      const f = `tls.certificates.${host.name}`;
      const certPem = checkedCertificate(
        parent,
        s.component,
        `${f}.certPem`,
        brought.certPem,
        host,
        s.alsoCovers?.(host),
      );
      servers[host.name] = {
        certPem,
        keyPem: pulumi.secret(chk(`${f}.keyPem`, brought.keyPem, rules.privateKeyPem)),
      };
      notAfter[host.name] = certPem.apply((p) => new X509Certificate(p).validToDate.toISOString());
    } else {
      const addr = pulumi.output(host.internalAddress ?? host.address);
      const c = issueCertificate(parent, `${s.name}-${host.name}-server`, {
        ca: ca!,
        commonName: addr,
        sans: s.sans(addr),
        uses: s.uses,
        validityHours: s.validityHours,
        rotation: s.tls.rotation,
      });
      servers[host.name] = { certPem: c.certPem, keyPem: c.keyPem };
      notAfter[host.name] = c.notAfter;
    }
  }
  const expiry = pulumi.all(notAfter);
  warnExpiringCertificates(parent, s.component, expiry, s.expiryWarningDays);
  return { ca, caCertPem, servers, notAfter: expiry };
}

/**
 * The drift check of one host of a service ({@link DriftCheckArgs}): what the host's steps
 * declared (`files`) and the unit its service step runs, compared after `after`.
 */
export function serviceDriftCheck(
  parent: pulumi.Resource,
  componentName: string,
  host: HostArgs,
  drift: DriftCheckArgs,
  files: pulumi.Output<DriftFile>[],
  unit: string,
  after: pulumi.Resource[],
): pulumi.Output<string[]> {
  const manifest = pulumi.all(files).apply((list) => ({
    files: list,
    units: [{ unit, step: `${componentName}-${host.name}-service` }],
  }));
  return driftCheckStep(parent, componentName, host, drift, manifest, after);
}
