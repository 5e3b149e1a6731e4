import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { HOST_DEFAULTS } from "../core/defaults";

/** A bastion (jump) host for reaching a target host over SSH. */
export interface BastionArgs {
  /** Address of the bastion. */
  address: pulumi.Input<string>;
  /**
   * SSH port of the bastion.
   * @default 22
   */
  port?: pulumi.Input<number>;
  /**
   * SSH user on the bastion.
   * @default "root"
   */
  user?: pulumi.Input<string>;
  /** Private key for the bastion (OpenSSH or PEM). Kept secret. */
  privateKey: pulumi.Input<string>;
  /** The bastion's SSH host public key, `ssh-ed25519 AAAA…` (as in known_hosts without the host name). */
  hostKey?: pulumi.Input<string>;
}

/**
 * One host reached over SSH. Every remote step the library runs goes through a connection
 * built from this by the library's one connection factory (`hostConnection`); credentials are
 * never copied elsewhere.
 */
export interface HostArgs {
  /**
   * Short name of the host, used in resource names, e.g. `minio1`. Plain, because it decides
   * resource names: 1–32 lowercase letters, digits and `-`.
   */
  name: string;
  /** Address the deploying machine connects to over SSH (IP or DNS name). */
  address: pulumi.Input<string>;
  /**
   * Address (DNS name or IP) other hosts and clients use to reach this host's services.
   * It becomes the KES/MinIO endpoint host and the certificate SAN. Default: `address`.
   * Plain when given, because certificates and endpoints are derived from it.
   */
  internalAddress?: string;
  /**
   * SSH port.
   * @default 22
   */
  port?: pulumi.Input<number>;
  /**
   * SSH user. Another user needs passwordless sudo: every step then runs as
   * `sudo -n bash …` (`sudo -n bash -s create # …` for steps whose scripts come on stdin, `sudo -n bash -c '…'` for steps with file content on stdin).
   * @default "root"
   */
  user?: pulumi.Input<string>;
  /** SSH private key (OpenSSH or PEM). Wrapped in `pulumi.secret`. */
  privateKey: pulumi.Input<string>;
  /** Password of an encrypted private key. Wrapped in `pulumi.secret`. */
  privateKeyPassword?: pulumi.Input<string>;
  /**
   * The host's SSH public host key to pin, in authorized_keys form (`ssh-ed25519 AAAA…`).
   * Without it `@pulumi/command` does not check host keys at all, and the library warns.
   * Get it with `ssh-keyscan -t ed25519 HOST` over a trusted path, or from your provisioning.
   */
  hostKey?: pulumi.Input<string>;
  /** Optional bastion host. */
  bastion?: BastionArgs;
}

/**
 * The single factory for `@pulumi/command` connections. It builds a fresh object field by
 * field (never spreading user objects, landscape.md §5.1 on leaks of malformed connections),
 * marks the key material secret, and pins the host key when given.
 */
export function hostConnection(
  h: HostArgs,
  dial: { dialErrorLimit?: number; perDialTimeout?: number } = {},
): command.types.input.remote.ConnectionArgs {
  const conn: command.types.input.remote.ConnectionArgs = {
    host: h.address,
    port: h.port ?? HOST_DEFAULTS.port,
    user: h.user ?? HOST_DEFAULTS.user,
    privateKey: pulumi.secret(h.privateKey),
    dialErrorLimit: dial.dialErrorLimit ?? 20,
    perDialTimeout: dial.perDialTimeout ?? 15,
  };
  if (h.privateKeyPassword !== undefined) conn.privateKeyPassword = pulumi.secret(h.privateKeyPassword);
  if (h.hostKey !== undefined) conn.hostKey = h.hostKey;
  if (h.bastion) {
    const b = h.bastion;
    const proxy: command.types.input.remote.ProxyConnectionArgs = {
      host: b.address,
      port: b.port ?? HOST_DEFAULTS.port,
      user: b.user ?? HOST_DEFAULTS.user,
      privateKey: pulumi.secret(b.privateKey),
    };
    if (b.hostKey !== undefined) proxy.hostKey = b.hostKey;
    conn.proxy = proxy;
  }
  return conn;
}

const warned = new Set<string>();

/** Warn once per host when no host key is pinned. */
export function warnIfHostKeyMissing(h: HostArgs, resource: pulumi.Resource): void {
  const key = `${h.name}|${typeof h.address === "string" ? h.address : "?"}|${typeof h.port === "number" ? h.port : 22}`;
  if (h.bastion !== undefined && h.bastion.hostKey === undefined && !warned.has(`bastion|${key}`)) {
    warned.add(`bastion|${key}`);
    pulumi.log.warn(
      `host ${h.name}: its bastion has no hostKey pinned, so SSH to the bastion accepts any server key. Set hosts[].bastion.hostKey (the key part of \`ssh-keyscan -t ed25519 <bastion>\`).`,
      resource,
    );
  }
  if (h.hostKey !== undefined || warned.has(key)) return;
  warned.add(key);
  pulumi.log.warn(
    `host ${h.name}: no hostKey pinned, so SSH will accept any server key (@pulumi/command checks host keys only ` +
      `when hostKey is set). Set hosts[].hostKey to the output of \`ssh-keyscan -t ed25519 <address>\` taken over a trusted path.`,
    resource,
  );
}
