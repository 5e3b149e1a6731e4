/**
 * The pulumi-minio-kes policy pack, as a thin wrapper around the library's factory.
 *
 *   pulumi preview --policy-pack ./policy
 *   pulumi preview --policy-pack ./policy --policy-pack-config ./policy-config.json
 *
 * Every policy is mandatory by default. Change a policy's level or settings here, or per run
 * with a policy pack config file, e.g.
 *   { "minio-kes-no-filesystem-keystore": { "developmentStacks": ["dev", "dev-*"] },
 *     "minio-kes-certificate-validity": { "maxValidityDays": 90 } }
 */
import { createPolicyPack } from "pulumi-minio-kes/policy";

createPolicyPack("minio-kes", {
  filesystemKeystore: { developmentStacks: ["dev", "dev-*", "quickstart"] },
});
