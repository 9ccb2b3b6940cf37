// The browser's own crypto for the page: WebCrypto (crypto.subtle) makes every key and signature
// while the WebAssembly core still builds every certificate (prepare, sign its TBS, finish).
// `selfsign` below is the page's small WebAssembly package (./pkg: only that path); the full one
// (./pkg-full: inspect, CSRs, CA import, the core's own crypto) is loaded on first use, by full().
// Where the browser lacks an algorithm (Ed25519 in older browsers) or WebCrypto itself (a page not
// served from https or localhost), the core's own crypto in WebAssembly does the whole job instead;
// for slow keys (RSA) it runs in a worker. Every function here returns a promise, so even a
// 4096-bit RSA key never blocks the page. `?crypto=wasm` in the page's URL forces the fallback.

const rsa = (bits) => ({
  generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  sign: { name: 'RSASSA-PKCS1-v1_5' },
});

/** WebCrypto parameters per key algorithm, named as the core names them. */
const ALGORITHMS = {
  p256: {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  },
  p384: {
    generate: { name: 'ECDSA', namedCurve: 'P-384' },
    import: { name: 'ECDSA', namedCurve: 'P-384' },
    sign: { name: 'ECDSA', hash: 'SHA-384' },
  },
  ed25519: { generate: { name: 'Ed25519' }, import: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
  rsa2048: rsa(2048),
  rsa3072: rsa(3072),
  rsa4096: rsa(4096),
  rsa: rsa(2048), // an imported RSA key of another size: only import and sign are used
};

const forced = typeof location !== 'undefined' && new URLSearchParams(location.search).get('crypto') === 'wasm';
/** WebCrypto, or undefined where the page cannot use it (not a secure context, or forced off). */
const subtle = forced ? undefined : globalThis.crypto?.subtle;

/** Whether generating a key of `algorithm` takes seconds rather than milliseconds. */
export const isSlow = (algorithm) => String(algorithm).startsWith('rsa');

/** The core's name for a certificate's key algorithm, from its decoded view. */
export function algorithmOf(info) {
  if (info.keyAlgorithm === 'RSA') return ALGORITHMS[`rsa${info.keyBits}`] ? `rsa${info.keyBits}` : 'rsa';
  return { 'ECDSA P-256': 'p256', 'ECDSA P-384': 'p384', Ed25519: 'ed25519' }[info.keyAlgorithm];
}

const probes = new Map();

/**
 * Whether WebCrypto can make and sign with `algorithm` keys here. ECDSA and RSA are everywhere
 * WebCrypto is; Ed25519 is probed once with a (fast) key generation.
 */
export function supports(algorithm) {
  if (!subtle || !ALGORITHMS[algorithm]) return Promise.resolve(false);
  if (algorithm !== 'ed25519') return Promise.resolve(true);
  if (!probes.has(algorithm)) {
    probes.set(algorithm, subtle
      .generateKey(ALGORITHMS[algorithm].generate, false, ['sign', 'verify'])
      .then(() => true, () => false));
  }
  return probes.get(algorithm);
}

/** Which crypto makes keys of `algorithm` here: 'webcrypto' or 'wasm'. */
export async function cryptoFor(algorithm) {
  return (await supports(algorithm)) ? 'webcrypto' : 'wasm';
}

/**
 * A new extractable key pair: its CryptoKey for signing and `der`, the export `prepare*` takes.
 * EC and RSA keys export once, as PKCS#8 (which carries their public key); an Ed25519 PKCS#8 does
 * not, so `der` is its SPKI and `pkcs8` a promise of the PKCS#8 export, for `finish`.
 */
export async function generateKey(algorithm) {
  const { privateKey, publicKey } = await subtle.generateKey(ALGORITHMS[algorithm].generate, true, ['sign', 'verify']);
  if (algorithm !== 'ed25519') {
    return { algorithm, privateKey, der: new Uint8Array(await subtle.exportKey('pkcs8', privateKey)) };
  }
  const pkcs8 = subtle.exportKey('pkcs8', privateKey).then((der) => new Uint8Array(der));
  return { algorithm, privateKey, der: new Uint8Array(await subtle.exportKey('spki', publicKey)), pkcs8 };
}

let fullPackage;

/**
 * The full WebAssembly package, fetched and compiled once, on first use; resolves to
 * { api, module }. A load that failed (e.g. offline) is tried again by the next call.
 */
export function loadFull() {
  fullPackage ??= (async () => {
    let api;
    try {
      api = await import('./pkg-full/selfsign_wasm.js');
    } catch (error) {
      throw new Error(`The full WebAssembly package (pkg-full/selfsign_wasm.js) could not load: ${error.message}. Reload the page while online and try again.`);
    }
    let module;
    try {
      module = await WebAssembly.compileStreaming(fetch(new URL('./pkg-full/selfsign_wasm_bg.wasm', import.meta.url)));
    } catch {
      module = undefined; // e.g. served without application/wasm: the package's loader copes
    }
    await api.default(module ? { module_or_path: module } : undefined);
    return { api, module };
  })();
  fullPackage.catch(() => { fullPackage = undefined; });
  return fullPackage;
}

/** The full WebAssembly package's API: every function, the small package's too. */
export const full = async () => (await loadFull()).api;

let standIn;

/**
 * A throwaway P-256 key's DER, made once: WebCrypto's where the page has it, else the core's
 * (milliseconds either way). `prepare*` with it checks every option before a slow key is made.
 */
function standInDer(selfsign) {
  standIn ??= subtle
    ? generateKey('p256').then((key) => key.der)
    : full().then((api) => api.generateSelfSigned({ names: 'stand-in.invalid', key: 'p256', days: 1 }).keyDer);
  return standIn;
}

/** Runs `prepare` with the stand-in key, so bad input is reported before any real key is made. */
async function checkFirst(selfsign, prepare) {
  prepare(await standInDer(selfsign)).free();
}

/**
 * Makes the real key, after checking the input with a stand-in key first when `algorithm` is slow,
 * so bad input is reported before seconds are spent on the real key.
 */
async function checkedKey(selfsign, algorithm, prepare) {
  if (isSlow(algorithm)) await checkFirst(selfsign, prepare);
  return generateKey(algorithm);
}

/** Signs a pending certificate's TBS bytes with `privateKey` and finishes it. */
async function sign(pending, privateKey, pkcs8) {
  const params = ALGORITHMS[pending.signer].sign;
  try {
    const signature = new Uint8Array(await subtle.sign(params, privateKey, pending.tbs));
    return pending.finish(signature, await pkcs8);
  } finally {
    pending.free();
  }
}

/** Tags a result with the crypto that made it and, for a CA, the CryptoKey that signs for it. */
function made(result, crypto, signingKey = null) {
  result.crypto = crypto;
  result.signingKey = signingKey;
  return result;
}

// ---- the fallback: the core's own crypto (fallback.js: off the main thread for slow keys) ------

/**
 * Loads the fallback (fallback.js, the full package and its worker) with the page where it is in
 * use (no WebCrypto), so the page still makes every key after it goes offline. Resolves to true
 * once it has loaded, false if it could not (a call then tries again).
 */
export async function preloadFallback() {
  if (subtle) return true;
  try {
    return await (await import('./fallback.js')).preload();
  } catch {
    return false;
  }
}

/**
 * The synchronous API call `name`, in the worker when its key is slow to make; a slow call's input
 * is first checked here with `prepare` and a stand-in key.
 */
async function fallback(selfsign, algorithm, prepare, name, ...args) {
  if (!isSlow(algorithm)) return made((await full())[name](...args), 'wasm');
  await checkFirst(selfsign, prepare);
  return made(await (await import('./fallback.js')).inWorker(name, args), 'wasm');
}

// ---- what the page makes -------------------------------------------------------------------

/** A self-signed leaf, like `selfsign.generateSelfSigned`. */
export async function selfSigned(selfsign, options) {
  const algorithm = options.key || 'p256';
  const prepare = (der) => selfsign.prepareSelfSigned(options, der);
  if (!(await supports(algorithm))) return fallback(selfsign, algorithm, prepare, 'generateSelfSigned', options);
  const key = await checkedKey(selfsign, algorithm, prepare);
  const pending = selfsign.prepareSelfSigned(options, key.der);
  return made(await sign(pending, key.privateKey, key.pkcs8), 'webcrypto');
}

/** A WebTransport certificate (P-256), like `selfsign.webTransport`. */
export async function webTransport(selfsign, options) {
  // The core names a WebTransport certificate "localhost" when given no names; the page asks for
  // them like every other kind, with the same error.
  if (!String(options.names ?? '').trim()) await checkFirst(selfsign, (der) => selfsign.prepareSelfSigned({ names: options.names }, der));
  if (!(await supports('p256'))) return fallback(selfsign, 'p256', null, 'webTransport', options);
  const key = await generateKey('p256');
  const pending = selfsign.prepareWebTransport(options, key.der);
  return made(await sign(pending, key.privateKey, key.pkcs8), 'webcrypto');
}

/** A root CA, like `selfsign.generateCa`; the result keeps its CryptoKey as `signingKey`. */
export async function ca(selfsign, options) {
  const algorithm = options.key || 'p256';
  const prepare = (der) => selfsign.prepareCa(options, der);
  if (!(await supports(algorithm))) return fallback(selfsign, algorithm, prepare, 'generateCa', options);
  const key = await checkedKey(selfsign, algorithm, prepare);
  const pending = selfsign.prepareCa(options, key.der);
  return made(await sign(pending, key.privateKey, key.pkcs8), 'webcrypto', key.privateKey);
}

/**
 * The CryptoKey that signs for a CA result: the one it was made with, or its private key
 * imported into WebCrypto (then kept on the CA); null when WebCrypto cannot hold it.
 */
export async function signingKeyOf(authority) {
  if (authority.signingKey) return authority.signingKey;
  const algorithm = algorithmOf(authority.info);
  if (!authority.keyDer || !(await supports(algorithm))) return null;
  try {
    authority.signingKey = await subtle.importKey('pkcs8', authority.keyDer, ALGORITHMS[algorithm].import, false, ['sign']);
  } catch {
    authority.signingKey = null;
  }
  return authority.signingKey;
}

/** The PEM to issue with: the CA with any issuers above it. */
const issuerPem = (authority) => authority.chainPem ?? authority.certificatePem;

/** A leaf issued by `authority` (a CA result), like `selfsign.issueLeaf`. */
export async function leaf(small, authority, options) {
  const selfsign = await full(); // reading the CA certificate needs the full package
  const algorithm = options.key || 'p256';
  const signingKey = (await supports(algorithm)) ? await signingKeyOf(authority) : null;
  const prepare = (der) => selfsign.prepareLeaf(issuerPem(authority), options, der);
  if (!signingKey) {
    return fallback(selfsign, algorithm, prepare, 'issueLeaf', issuerPem(authority), authority.keyPem, options);
  }
  const key = await checkedKey(selfsign, algorithm, prepare);
  const pending = selfsign.prepareLeaf(issuerPem(authority), options, key.der);
  return made(await sign(pending, signingKey, key.pkcs8), 'webcrypto');
}

/**
 * A new root CA and a leaf it issues, like `selfsign.generateCa` then `selfsign.issueLeaf`: both
 * keys come from WebCrypto, the core builds both certificates in one call (the leaf needs only
 * the CA's parameters, not its signature), the CA's key signs both, and one call finishes them.
 * Returns { ca, leaf }.
 */
export async function caAndLeaf(selfsign, caOptions, leafOptions) {
  const caAlgorithm = caOptions.key || 'p256';
  const leafAlgorithm = leafOptions.key || 'p256';
  if (isSlow(leafAlgorithm) || !(await supports(caAlgorithm)) || !(await supports(leafAlgorithm))) {
    // Made one after the other: the leaf's options (names) are checked with the CA's before the
    // CA's key is made, not only once it exists.
    if (isSlow(caAlgorithm) || isSlow(leafAlgorithm)) {
      await checkFirst(selfsign, (der) => selfsign.prepareCaAndLeaf(caOptions, der, leafOptions, der));
    }
    const authority = await ca(selfsign, caOptions);
    return { ca: authority, leaf: await leaf(selfsign, authority, leafOptions) };
  }
  const leafKey = generateKey(leafAlgorithm);
  leafKey.catch(() => {});
  // A slow CA key is first tried with a stand-in key for both, so bad CA or leaf options are
  // reported before seconds go into the real key.
  const caKey = await checkedKey(selfsign, caAlgorithm, (der) => selfsign.prepareCaAndLeaf(caOptions, der, leafOptions, der));
  const key = await leafKey;
  const pending = selfsign.prepareCaAndLeaf(caOptions, caKey.der, leafOptions, key.der);
  try {
    const [caTbs, leafTbs] = pending.tbs;
    const signs = ALGORITHMS[caAlgorithm].sign;
    const caSignature = subtle.sign(signs, caKey.privateKey, caTbs);
    caSignature.catch(() => {});
    const leafSignature = new Uint8Array(await subtle.sign(signs, caKey.privateKey, leafTbs));
    const result = pending.finish(new Uint8Array(await caSignature), leafSignature, await caKey.pkcs8, await key.pkcs8);
    made(result.ca, 'webcrypto', caKey.privateKey);
    made(result.leaf, 'webcrypto');
    return result;
  } finally {
    pending.free();
  }
}

/** A certificate for a CSR, issued by `authority`, like `selfsign.signCsr`. */
export async function signCsr(small, authority, csr, options) {
  const selfsign = await full();
  const signingKey = await signingKeyOf(authority);
  if (!signingKey) return made(selfsign.signCsr(issuerPem(authority), authority.keyPem, csr, options), 'wasm');
  const pending = selfsign.prepareSignCsr(issuerPem(authority), csr, options);
  return made(await sign(pending, signingKey), 'webcrypto');
}
