/** @internal The filesystem keystore (development only). */
import * as pulumi from "@pulumi/pulumi";
import { KES_DEFAULTS } from "../../core/defaults";
import type { Keystore } from "../../core/types";
import { checkAbsolutePath, checkNotSystemDirectory } from "../../core/validate";
import type { FilesystemKmsArgs } from "../args";
import type { KeystoreBackend } from "./backend";

export const filesystem: KeystoreBackend<FilesystemKmsArgs> = {
  kind: "fs",
  validate(issues, fs) {
    if (fs.acknowledgeDevelopmentOnly !== true) {
      issues.add(
        "filesystem.acknowledgeDevelopmentOnly",
        "the filesystem keystore keeps keys unencrypted on the KES host and loses them with it; set acknowledgeDevelopmentOnly: true for development, or use vault, aws, gcp or azure.",
      );
    }
    if (fs.path !== undefined)
      checkAbsolutePath(issues, "filesystem.path", fs.path, "keystore directory", KES_DEFAULTS.keystoreDir);
    checkNotSystemDirectory(
      issues,
      "filesystem.path",
      fs.path,
      "keystore directory",
      KES_DEFAULTS.keystoreDir,
    );
  },
  resolve(_c, fs) {
    const fsPath = fs.path ?? KES_DEFAULTS.keystoreDir;
    return { keystore: pulumi.output({ kind: "fs", path: fsPath } as Keystore), fsPath };
  },
};
