/** @internal {@link KmsTargetArgs} validated: exactly one backend, checked by its own rules. */
import * as rules from "../../core/rules";
import { checkRule, Issues } from "../../core/validate";
import type { KmsTargetArgs } from "../args";
import { BACKENDS, type BackendField, KEYSTORE_BACKENDS } from "../keystores";
import type { KeystoreBackend } from "../keystores/backend";

/** The one backend `args` gives, or undefined when it gives none or several. */
export function givenBackend(
  args: KmsTargetArgs,
): { field: BackendField; backend: KeystoreBackend<unknown>; a: unknown } | undefined {
  const given = BACKENDS.filter((b) => args?.[b] !== undefined);
  if (given.length !== 1) return undefined;
  const field = given[0]!;
  return { field, backend: KEYSTORE_BACKENDS[field] as KeystoreBackend<unknown>, a: args[field] };
}

/** Validate {@link KmsTargetArgs}; exported for the bad-input table tests. */
export function validateKmsTargetArgs(args: KmsTargetArgs): Issues {
  const issues = new Issues();
  const one = givenBackend(args);
  if (!one) {
    const given = BACKENDS.filter((b) => args?.[b] !== undefined);
    issues.add(
      "kmsTarget",
      `give exactly one keystore (${BACKENDS.join(", ")}); got ${given.length === 0 ? "none" : given.join(" and ")}.`,
    );
    return issues;
  }
  one.backend.validate(issues, one.a, args);
  if (args.allowInsecureHttp === true && !one.backend.allowsInsecureHttp) {
    const http = BACKENDS.filter((b) => KEYSTORE_BACKENDS[b].allowsInsecureHttp);
    issues.add(
      "allowInsecureHttp",
      `allowInsecureHttp only applies to ${http.slice(0, -1).join(", ")} and ${http.at(-1)} endpoints; remove it.`,
    );
  }
  // Credentials and CAs: checked now when plain, and by the same rules once known (KmsTarget).
  for (const [f, v] of one.backend.credentials?.(one.a) ?? []) {
    if (v !== undefined)
      checkRule(issues, f, v, f.endsWith("caCertPem") ? rules.certificatePem : rules.requiredLine);
  }
  return issues;
}
