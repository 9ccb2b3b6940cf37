//! TypeScript types of the option objects and results, emitted into the generated `.d.ts`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Key algorithms that can be generated. Default "p256". */
export type KeyAlgorithmName = "p256" | "p384" | "ed25519";
/** What a leaf certificate is for. Default "server". */
export type UsageName = "server" | "client" | "both";
/** Names as text (one per line) or as an array. */
export type Names = string | string[];

/** Options of generateSelfSigned and issueLeaf. */
export interface LeafOptions {
  names: Names; key?: KeyAlgorithmName; usage?: UsageName;
  /** Validity in days (default 397). */
  days?: number;
}

/** Options of generateCa. */
export interface CaOptions {
  commonName?: string; organization?: string; key?: KeyAlgorithmName;
  /** Validity in days (default 3650). */
  days?: number;
  /** pathLenConstraint (default 1). */
  pathLen?: number;
  /** Permitted domains and IP ranges (see nameConstraintsFor); none means unconstrained. */
  nameConstraints?: Names;
}

/** Options of signCsr. */
export interface SignOptions {
  usage?: UsageName; days?: number;
}

/** Options of webTransport: ECDSA P-256 only, 1 to 14 days (default 14). */
export interface WebTransportOptions {
  names?: Names; key?: "p256"; days?: number;
}

/** A decoded certificate. */
export interface CertInfo {
  subject: string; commonName: string | null; issuer: string; serial: string; notBefore: number;
  notAfter: number; notBeforeRfc3339: string; notAfterRfc3339: string; validNow: boolean;
  daysLeft: number; subjectAltNames: string[]; keyAlgorithm: string; keyBits: number;
  signatureAlgorithm: string; isCa: boolean; pathLen: number | null; keyUsage: string[];
  extendedKeyUsage: string[]; permittedNames: string[]; excludedNames: string[];
  subjectKeyId: string | null; authorityKeyId: string | null; sha256Fingerprint: string;
  sha256Hex: string; spkiSha256Base64: string; selfSigned: boolean;
}

/** Suggested file names, mkcert style. */
export interface FileNames {
  certificate: string; key: string | null; chain: string | null;
}

/** A certificate made or loaded, with its key when there is one. */
export interface Issued {
  certificatePem: string; certificateDer: Uint8Array; keyPem: string | null;
  keyDer: Uint8Array | null;
  /** Certificate then issuers, root last; null when self-signed. */
  chainPem: string | null;
  /** The root CA certificate; null when self-signed. */
  caPem: string | null; info: CertInfo; files: FileNames;
}

/** A WebTransport certificate with its hash for serverCertificateHashes. */
export interface WebTransportResult extends Issued {
  sha256: Uint8Array;
  /** e.g. "new Uint8Array([1, 2, ...])" */
  sha256Literal: string; sha256Base64: string; snippet: string;
}

/** Defaults and limits. */
export interface Defaults {
  leafDays: number; caDays: number; webTransportDays: number; maxDays: number;
  /** [name, description] pairs, e.g. ["p256", "ECDSA P-256"]. */
  algorithms: [string, string][];
}

/**
 * Every function throws this on bad input; `field` names the input at fault and, from
 * `prepareCaAndLeaf` and its `finish`, `part` whose: the CA's or the leaf's.
 */
export interface SelfsignError extends Error {
  name: "SelfsignError";
  field?: "names" | "key" | "keyPem" | "usage" | "days" | "commonName" | "nameConstraints"
    | "pathLen" | "caCert" | "caKey" | "csr" | "input";
  part?: "ca" | "leaf";
}
"#;
