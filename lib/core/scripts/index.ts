/**
 * The host scripts, one module per concern: `prelude.ts` (the shared bash helpers and the
 * conventions every script follows), `files.ts`, `binaries.ts`, `systemd.ts`, `health.ts`,
 * `hosts.ts` and `mc.ts`. This module re-exports their public names, and `stagedPath`.
 */
export { stagedPath } from "../shell";
export {
  type CheckPreinstalledBinaryArgs,
  checkPreinstalledBinaryScript,
  type InstallBinaryArgs,
  installBinaryScript,
  UPLOAD_DIR,
  uploadDirScript,
} from "./binaries";
export {
  encodeFilesStdin,
  ensureDirectoriesScript,
  envMergeScript,
  type FileToWrite,
  kesRemovalGuardScript,
  type RemoveFileArgs,
  removeFileScript,
  type WriteFileArgs,
  writeFilesScript,
} from "./files";
export {
  type ClusterReadyArgs,
  clusterReadyScript,
  type HealthCheck,
  nothingToStopScript,
  type ServiceActionArgs,
  serviceActionScript,
  serviceStopScript,
} from "./health";
export {
  type DriftFile,
  type DriftManifest,
  driftCheckScript,
  ensurePrerequisitesScript,
  hostKeyCheckScript,
  hostKeysCheckScript,
  preflightScript,
  renderDriftManifest,
} from "./hosts";
export {
  bucketResultVerified,
  bucketSummary,
  bucketsResultVerified,
  MC_PARTS_AT_ONCE,
  type McBucketArgs,
  type McBucketsArgs,
  type McCredentials,
  type McKeyCreateArgs,
  type McTarget,
  mcBucketScript,
  mcBucketsScript,
  mcKeyCreateScript,
} from "./mc";
export { ENV_VALUE_OF } from "./prelude";
export {
  type EnsureServiceUserArgs,
  ensureServiceUserScript,
  type InstallUnitArgs,
  installUnitScript,
  removeUnitScript,
} from "./systemd";
