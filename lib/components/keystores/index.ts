/**
 * @internal Every keystore backend of {@link KmsTarget}, keyed by its argument's field in
 * {@link KmsTargetArgs}. The validator and the component look a backend up here; nothing else
 * knows the list.
 */
import type { KmsTargetArgs } from "../args";
import { awsBackend } from "./aws";
import type { KeystoreBackend } from "./backend";
import { azure, gcp } from "./cloud";
import { filesystem } from "./filesystem";
import { entrust, fortanix, thales } from "./hsm";
import { vault } from "./vault";

export type { KeystoreContext, KeystoreFile, ResolvedKeystore } from "./backend";

/** The backends' fields, in the order messages list them. */
export const BACKENDS = [
  "filesystem",
  "vault",
  "aws",
  "gcp",
  "azure",
  "entrust",
  "fortanix",
  "thales",
] as const;

/** One of {@link BACKENDS}. */
export type BackendField = (typeof BACKENDS)[number];

/** The backend of each field. */
export const KEYSTORE_BACKENDS: { [F in BackendField]: KeystoreBackend<NonNullable<KmsTargetArgs[F]>> } = {
  filesystem,
  vault,
  aws: awsBackend,
  gcp,
  azure,
  entrust,
  fortanix,
  thales,
};
