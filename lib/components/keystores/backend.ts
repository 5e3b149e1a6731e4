/**
 * @internal What one keystore backend of {@link KmsTarget} is: its argument's field, the kind KES's
 * config calls it, how its arguments are validated, and how its settings are resolved. Adding a
 * backend is one module here (and its entry in `index.ts`), its argument type in `args.ts`, and
 * its renderer in `lib/core/kesConfig.ts`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Rule } from "../../core/rules";
import type { Keystore, KeystoreKind } from "../../core/types";
import type { Issues } from "../../core/validate";
import type { KmsTargetArgs } from "../args";

/** A file the keystore needs on every KES host (a CA or client certificate for the KMS). */
export interface KeystoreFile {
  /** Absolute path on the KES host. */
  path: string;
  /** File content. */
  content: pulumi.Output<string>;
  /** Whether the content is secret (written 0600, never logged). */
  secret: boolean;
}

/** What a backend resolves to. */
export interface ResolvedKeystore {
  /** The keystore settings KES's config is rendered from. */
  keystore: pulumi.Output<Keystore>;
  /** The filesystem keystore's directory (filesystem only). */
  fsPath?: string;
  /** For AWS: the KMS key in use. */
  awsKmsKeyArn?: pulumi.Output<string>;
  /** For AWS with generated credentials: the IAM user KES uses. */
  awsIamUserName?: pulumi.Output<string>;
}

/** What a backend resolves its settings with. */
export interface KeystoreContext {
  /** The KmsTarget, parent of anything the backend creates. */
  parent: pulumi.Resource;
  /** The KmsTarget's name. */
  name: string;
  /** An argument checked with its rule (default: one non-empty line) once it resolves. */
  chk<T>(field: string, v: pulumi.Input<T>, rule?: Rule): pulumi.Output<T>;
  /** The same for an optional argument. */
  chkOpt<T>(field: string, v: pulumi.Input<T> | undefined, rule?: Rule): pulumi.Output<T> | undefined;
  /**
   * A PEM file for every KES host (`/etc/kes/<base>`), checked as a certificate, or as a private
   * key when secret; returns its path, or undefined without content.
   */
  file(
    field: string,
    base: string,
    content: pulumi.Input<string> | undefined,
    secret?: boolean,
  ): string | undefined;
}

/** One keystore backend. */
export interface KeystoreBackend<A> {
  /** The backend's kind in KES's config. */
  kind: KeystoreKind;
  /** Whether its endpoint may be plain `http://` with `allowInsecureHttp`. */
  allowsInsecureHttp?: boolean;
  /** Check the backend's arguments (`field` is its key in {@link KmsTargetArgs}). */
  validate(issues: Issues, a: A, args: KmsTargetArgs): void;
  /** The credentials and CAs it takes as Inputs, with their fields: checked now or once known. */
  credentials?(a: A): Array<[string, unknown]>;
  /** Resolve the keystore's settings (and create what it needs, for AWS). */
  resolve(c: KeystoreContext, a: A): ResolvedKeystore;
}
