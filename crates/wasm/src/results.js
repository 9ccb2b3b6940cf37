// The JS half of making certificate results (results.rs, flat.rs): one call from wasm builds a
// result's objects from its flattened fields, copies its bytes out of wasm memory and sets them
// by name, where JSON.parse or a call per field would cost more. `slots` and `bytes` are views of
// wasm memory, valid only during the call: nothing here calls back into wasm, which could grow its
// memory and detach them.

/** A copy of `bytes` (a view of wasm memory) in one new buffer, as two views split at `at`. */
export function splitCopy(bytes, at) {
  const copy = bytes.slice();
  return [copy.subarray(0, at), copy.subarray(at)];
}

/** Reads the fields flat.rs writes, in its order: text ends, numbers and counts in `slots`. */
class Flat {
  constructor(text, slots) {
    this.text = text;
    this.slots = slots;
    this.slot = 0;
    this.at = 0;
  }

  str() {
    const end = this.slots[this.slot++];
    const s = this.text.slice(this.at, end);
    this.at = end;
    return s;
  }

  optStr() {
    return this.slots[this.slot] < 0 ? (this.slot++, null) : this.str();
  }

  num() {
    return this.slots[this.slot++];
  }

  optNum() {
    const n = this.num();
    return Number.isNaN(n) ? null : n;
  }

  bool() {
    return this.num() === 1;
  }

  strs() {
    const list = new Array(this.num());
    for (let i = 0; i < list.length; i++) list[i] = this.str();
    return list;
  }
}

/** CertInfo, with the keys and order of its JSON (results.rs, CamelCase). */
function info(r) {
  return {
    subject: r.str(),
    commonName: r.optStr(),
    issuer: r.str(),
    serial: r.str(),
    notBefore: r.num(),
    notAfter: r.num(),
    notBeforeRfc3339: r.str(),
    notAfterRfc3339: r.str(),
    validNow: r.bool(),
    daysLeft: r.num(),
    subjectAltNames: r.strs(),
    keyAlgorithm: r.str(),
    keyBits: r.num(),
    signatureAlgorithm: r.str(),
    isCa: r.bool(),
    pathLen: r.optNum(),
    keyUsage: r.strs(),
    extendedKeyUsage: r.strs(),
    permittedNames: r.strs(),
    excludedNames: r.strs(),
    subjectKeyId: r.optStr(),
    authorityKeyId: r.optStr(),
    sha256Fingerprint: r.str(),
    sha256Hex: r.str(),
    spkiSha256Base64: r.str(),
    selfSigned: r.bool(),
  };
}

/** Issued, with the keys and order of its JSON, then its bytes; its key PEM comes on its own. */
function issued(r, keyPem, certificateDer, keyDer) {
  return {
    certificatePem: r.str(),
    keyPem: keyPem || null,
    chainPem: r.optStr(),
    caPem: r.optStr(),
    info: info(r),
    files: { certificate: r.str(), key: r.optStr(), chain: r.optStr() },
    certificateDer,
    keyDer,
  };
}

/** A copy of `bytes[from..to]` in a buffer of its own (a key never shares one), or null if empty. */
const own = (bytes, from, to) => (to > from ? bytes.slice(from, to) : null);

/**
 * A certificate result from its flattened fields and `bytes` (a view of wasm memory): its DER
 * (the first `certificateLength` bytes), then its key's DER if it has a key.
 */
export function issuedObject(text, slots, keyPem, bytes, certificateLength) {
  const certificate = bytes.slice(0, certificateLength);
  return issued(new Flat(text, slots), keyPem, certificate, own(bytes, certificateLength, bytes.length));
}

/**
 * `{ ca, leaf }` from their flattened fields and `bytes`: the CA's and the leaf's DER, then the
 * CA's key and the leaf's key; `keyPems` is the CA's key PEM (`caKeyPemLength` long) then the
 * leaf's. Both certificates (public) share one buffer, each key has its own, the two key PEMs
 * share a text no public field comes from, and the leaf's chain and CA are the CA's PEM string
 * itself, not a copy.
 */
export function caAndLeafObject(text, slots, keyPems, caKeyPemLength, bytes, caLength, leafLength, caKeyLength) {
  const r = new Flat(text, slots);
  const caKeyPem = keyPems.slice(0, caKeyPemLength);
  const leafKeyPem = keyPems.slice(caKeyPemLength);
  const both = bytes.slice(0, caLength + leafLength);
  const keys = caLength + leafLength + caKeyLength;
  const ca = issued(r, caKeyPem, both.subarray(0, caLength), own(bytes, caLength + leafLength, keys));
  const leaf = issued(r, leafKeyPem, both.subarray(caLength), own(bytes, keys, bytes.length));
  leaf.chainPem = leaf.certificatePem + ca.certificatePem;
  leaf.caPem = ca.certificatePem;
  return { ca, leaf };
}
