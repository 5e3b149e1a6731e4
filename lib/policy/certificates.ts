import type {
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  StackValidationPolicy,
} from "@pulumi/policy";
import { type PolicyContext, plain, stackPolicy } from "./context";
import { DEFAULTS, POLICY_NAMES, TYPES } from "./types";
import { ancestors, DAY_MS, type Deferred, day, label, libraryAncestor, parseTime, read } from "./util";

interface CertConfig {
  maxValidityDays: number;
  maxCaValidityDays: number;
  minRemainingDays: number;
  scope: "library" | "stack";
}

/** One run of the policy: its settings, the time, the reporter, and what the tls certificates cover. */
interface CertRun {
  cfg: CertConfig;
  now: Date;
  report: ReportViolation;
  /** Expiry times (ms) of checked tls certificates, per URN of the certificate and of each ancestor. */
  backed: Map<string, Set<number>>;
}

const TLS_CERTS = new Set<string>([TYPES.locallySignedCert, TYPES.selfSignedCert]);

const RENEW =
  "renew it: set a new tls.rotation value on the component (or replace the certificate) and run `pulumi up`; " +
  "@pulumi/tls does not renew on a plain `pulumi up` (https://github.com/pulumi/pulumi-tls/issues/39)";

/**
 * Certificates are valid for at most `maxValidityDays` (CA certificates `maxCaValidityDays`) and
 * are not within `minRemainingDays` of expiry.
 *
 * Reads `validityPeriodHours`/`isCaCertificate`/`validityEndTime` of `@pulumi/tls` certificates
 * (those inside this library's components, or all with `scope: "stack"`), and the
 * `certificateNotAfter` outputs of KesServer and MinioDeployment plus `notAfter` of
 * CertificateAuthority, which also cover certificates you bring yourself. A component fact with
 * the same expiry as a `@pulumi/tls` certificate below it is the same certificate and is reported
 * once, on the certificate.
 */
export function certificatePolicy(ctx: PolicyContext): StackValidationPolicy {
  const o = ctx.options.certificates ?? {};
  const defaults: CertConfig = {
    maxValidityDays: o.maxValidityDays ?? DEFAULTS.maxValidityDays,
    maxCaValidityDays: o.maxCaValidityDays ?? DEFAULTS.maxCaValidityDays,
    minRemainingDays: o.minRemainingDays ?? DEFAULTS.minRemainingDays,
    scope: o.scope ?? "library",
  };
  return stackPolicy(ctx, o, {
    name: POLICY_NAMES.certificates,
    description: `Certificates are valid for at most ${defaults.maxValidityDays} days (CAs ${defaults.maxCaValidityDays}) and are not within ${defaults.minRemainingDays} days of expiry.`,
    configSchema: certConfigSchema(defaults),
    defaults,
    remediationSteps:
      "Lower tls.validityHours on the component (at most maxValidityDays × 24), and rotate certificates before they expire (tls.rotation).",
    validate: (cfg, args, report, deferred) => {
      const run: CertRun = { cfg, now: ctx.now(), report, backed: new Map() };
      for (const r of args.resources) {
        if (TLS_CERTS.has(r.type)) checkTlsCertificate(r, run, deferred);
      }
      for (const r of args.resources) checkComponentCertificates(r, run);
    },
  });
}

function certConfigSchema(defaults: CertConfig): PolicyConfigSchema {
  return {
    properties: {
      maxValidityDays: {
        type: "integer",
        minimum: 1,
        default: defaults.maxValidityDays,
        description: "Longest validity of a server or client certificate, in days.",
      },
      maxCaValidityDays: {
        type: "integer",
        minimum: 1,
        default: defaults.maxCaValidityDays,
        description: "Longest validity of a CA certificate, in days.",
      },
      minRemainingDays: {
        type: "integer",
        minimum: 0,
        default: defaults.minRemainingDays,
        description: "A certificate expiring within this many days is a violation.",
      },
      scope: {
        type: "string",
        enum: ["library", "stack"],
        default: defaults.scope,
        description: "library: certificates inside pulumi-minio-kes components; stack: every certificate.",
      },
    },
  };
}

/** A `@pulumi/tls` certificate: its validity period, then its expiry. */
function checkTlsCertificate(r: PolicyResource, run: CertRun, deferred: Deferred): void {
  const { cfg, report, backed } = run;
  const owner = libraryAncestor(r);
  if (cfg.scope === "library" && !owner) return;
  const facts = deferred.read(r, "validityPeriodHours", () => ({
    hours: r.props.validityPeriodHours as unknown,
    isCa: r.props.isCaCertificate as unknown,
  }));
  if (!facts.known) return;
  const isCa = facts.value.isCa === true;
  const maxDays = isCa ? cfg.maxCaValidityDays : cfg.maxValidityDays;
  const hours = facts.value.hours;
  const fix = owner
    ? `set tls.validityHours on ${label(owner)} to at most ${maxDays * 24}`
    : `set validityPeriodHours to at most ${maxDays * 24}`;
  if (typeof hours === "number" && hours > maxDays * 24) {
    report(
      `${label(r)}${owner ? ` (in ${label(owner)})` : ""} is a ${isCa ? "CA " : ""}certificate valid for ${fmtDays(hours / 24)} days; ` +
        `the limit is ${maxDays} days. Fix: ${isCa && owner ? `bring your own CA with a shorter validity (tls.ca) or raise maxCaValidityDays` : fix}.`,
      r.urn,
    );
  }
  // validityEndTime is unknown while the certificate is being (re)issued: then it is new.
  const end = read(() => r.props.validityEndTime as unknown);
  const notAfter = end.known ? parseTime(end.value) : undefined;
  if (!notAfter) return;
  for (const a of [r, ...ancestors(r)]) {
    if (!backed.has(a.urn)) backed.set(a.urn, new Set());
    backed.get(a.urn)!.add(notAfter.getTime());
  }
  checkExpiry(run, r, notAfter, `${label(r)}${owner ? ` (in ${label(owner)})` : ""}`, renewHow(owner));
}

/**
 * A component's certificate facts (KesServer and MinioDeployment `certificateNotAfter`,
 * CertificateAuthority `notAfter`), except those a checked `@pulumi/tls` certificate backs.
 */
function checkComponentCertificates(r: PolicyResource, run: CertRun): void {
  const { cfg, now, report, backed } = run;
  const facts = componentFacts(r);
  if (!facts) return;
  const raw = read(() => plain(facts.read()));
  if (!raw.known) return; // unknown while certificates are being (re)issued: new ones
  const entries = facts.entries(raw.value);
  if (entries === undefined) {
    report(
      `${label(r)} does not expose ${facts.field}, so certificate expiry cannot be verified. ` +
        `Fix: upgrade pulumi-minio-kes to a version whose ${label(r).split(" ")[0]} registers the output ${facts.field}.`,
      r.urn,
    );
    return;
  }
  const seen = backed.get(r.urn) ?? new Set<number>();
  for (const [host, value] of entries) {
    const notAfter = parseTime(value);
    if (!notAfter || seen.has(notAfter.getTime())) continue;
    const what = `${label(r)}${host ? ` certificate of host ${host}` : " CA certificate"}`;
    const maxDays = host ? cfg.maxValidityDays : cfg.maxCaValidityDays;
    const remaining = (notAfter.getTime() - now.getTime()) / DAY_MS;
    if (remaining > maxDays) {
      report(
        `${what} is valid until ${day(notAfter)}, ${fmtDays(remaining)} days from now; the limit is ${maxDays} days. ` +
          `Fix: issue ${host ? `tls.certificates.${host}` : "the CA"} with a validity of at most ${maxDays} days.`,
        r.urn,
      );
    }
    checkExpiry(run, r, notAfter, what, renewHow(r));
  }
}

/** A violation when the certificate expires within `minRemainingDays`, or has expired. */
function checkExpiry(
  { cfg, now, report }: CertRun,
  r: PolicyResource,
  notAfter: Date,
  what: string,
  how: string,
): void {
  const remaining = (notAfter.getTime() - now.getTime()) / DAY_MS;
  if (remaining < cfg.minRemainingDays) {
    report(
      remaining <= 0
        ? `${what} expired on ${day(notAfter)}. Fix: ${how}.`
        : `${what} expires on ${day(notAfter)}, in ${fmtDays(remaining)} days (less than ${cfg.minRemainingDays}). Fix: ${how}.`,
      r.urn,
    );
  }
}

function renewHow(owner: PolicyResource | undefined): string {
  return owner ? `on ${label(owner)}, ${RENEW}` : RENEW;
}

function fmtDays(d: number): string {
  return d >= 10 || d <= -10 ? String(Math.floor(d)) : d.toFixed(1);
}

/** How to read a component's certificate facts: `[host, notAfter]` pairs (host "" for a CA). */
function componentFacts(
  r: PolicyResource,
): { field: string; read(): unknown; entries(v: unknown): [string, unknown][] | undefined } | undefined {
  if (r.type === TYPES.kesServer || r.type === TYPES.minioDeployment) {
    return {
      field: "certificateNotAfter",
      read: () => r.props.certificateNotAfter,
      entries: (v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.entries(v) : undefined),
    };
  }
  if (r.type === TYPES.certificateAuthority) {
    return {
      field: "notAfter",
      read: () => r.props.notAfter,
      entries: (v) => (typeof v === "string" ? [["", v]] : undefined),
    };
  }
  return undefined;
}
