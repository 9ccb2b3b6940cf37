// WebCrypto doing only the cryptography a certificate needs, and the timing helpers, shared by
// the web benchmarks (bench.js, ab.js).

/** About a leaf's TBSCertificate: what each signature signs. */
export const TBS = crypto.getRandomValues(new Uint8Array(420));

const rsa = { name: 'RSASSA-PKCS1-v1_5', publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };

/** WebCrypto parameters per key algorithm. */
export const WEBCRYPTO = {
  p256: { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  rsa2048: { gen: { ...rsa, modulusLength: 2048 }, sign: { name: 'RSASSA-PKCS1-v1_5' } },
  p384: { gen: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } },
  ed25519: { gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
};

/**
 * WebCrypto: key pair, SPKI (what the certificate embeds), one signature, PKCS#8 export. With
 * `spki` false, only what the page's own path asks of WebCrypto (it reads the public key from
 * the PKCS#8 export), so the page rows compare our whole job with exactly its WebCrypto calls;
 * with `pkcs8` false too, only the key pair and the signature.
 */
export async function webcryptoKeyAndSign(key, signer, spki = true, pkcs8 = true) {
  const alg = WEBCRYPTO[key];
  const pair = await crypto.subtle.generateKey(alg.gen, true, ['sign', 'verify']);
  if (spki) await crypto.subtle.exportKey('spki', pair.publicKey);
  await crypto.subtle.sign(alg.sign, signer ? signer.privateKey : pair.privateKey, TBS);
  if (pkcs8) await crypto.subtle.exportKey('pkcs8', pair.privateKey);
  return pair;
}

/** Milliseconds for `n` sequential runs of fn (awaited when it returns a promise). */
export async function batch(fn, n) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const r = fn();
    if (r instanceof Promise) await r;
  }
  return performance.now() - start;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
