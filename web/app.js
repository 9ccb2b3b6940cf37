// The selfsign page: a plain ES module with no dependencies. Every certificate and parse is made by
// WebAssembly: the small package in ./pkg, loaded with the page, makes new certificates; the full
// one in ./pkg-full (inspect, CSRs, CA import, internationalised names, the core's own crypto) is
// loaded on first use (webcrypto.full()). Keys and signatures come from the browser's WebCrypto through
// ./webcrypto.js (or from the package itself where WebCrypto lacks them); this file only reads the
// form and shows results.
// Untrusted text (e.g. fields of an inspected certificate) is only ever set as text, never as HTML.
import * as webcrypto from './webcrypto.js';

/** The small WebAssembly package (./pkg), imported once the page has started, so a missing build is reported. */
let selfsign;

/**
 * The package that makes certificates for `names`: the small one, or the full one for
 * internationalised names, typed in Unicode or as xn-- punycode (only the full one has the
 * Unicode tables that turn them into punycode and check it).
 */
const packageFor = (names) => (/[^\x00-\x7f]|xn--/i.test(names) ? webcrypto.full() : selfsign);

const $ = (id) => document.getElementById(id);

/** Builds an element: h('p', { class: 'x', onclick: f }, 'text', child). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'value') el.value = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// ---- errors next to the field at fault ------------------------------------------------------

/** Per form section: the element id that shows each `error.field`, and the section's own slot. */
const SECTIONS = {
  generate: { fields: { names: 'names', nameConstraints: 'names', key: 'key', days: 'days' }, general: 'generate-error' },
  import: { fields: { caCert: 'ca-cert', caKey: 'ca-key' }, general: 'import-error' },
  sign: { fields: { csr: 'csr', days: 'days' }, general: 'sign-error' },
  inspect: { fields: { input: 'inspect-input' }, general: 'inspect-input-error' },
};

function clearErrors(section) {
  const { fields, general } = SECTIONS[section];
  for (const id of [...Object.values(fields), general]) {
    const slot = $(`${id}-error`) ?? $(id);
    if (slot?.classList.contains('error')) {
      slot.hidden = true;
      slot.textContent = '';
    }
    $(id)?.removeAttribute('aria-invalid');
  }
}

function showError(section, error) {
  const { fields, general } = SECTIONS[section];
  const message = error?.message || String(error);
  const target = fields[error?.field];
  const slot = target && $(`${target}-error`);
  if (slot) {
    slot.textContent = message;
    slot.hidden = false;
    const input = $(target);
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } else {
    const generalSlot = $(general);
    const unexpected = error instanceof Error && !['SelfsignError', 'WorkerError'].includes(error.name);
    generalSlot.textContent = unexpected ? `Unexpected error: ${message}` : message;
    generalSlot.hidden = false;
  }
  setStatus(`Problem: ${message}`);
}

// ---- small helpers --------------------------------------------------------------------------

function setStatus(text) {
  const status = $('status');
  status.textContent = text;
  status.title = text;
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

function flash(button, text) {
  const original = button.dataset.label ?? button.textContent;
  button.dataset.label = original;
  button.textContent = text;
  setTimeout(() => { button.textContent = original; }, 1500);
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const scratch = h('textarea', { class: 'offscreen', 'aria-hidden': 'true' }, text);
    document.body.append(scratch);
    scratch.select();
    document.execCommand('copy');
    scratch.remove();
  }
  flash(button, 'Copied');
}

function download(fileName, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const link = h('a', { href: url, download: fileName, class: 'offscreen' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const readBytes = async (file) => new Uint8Array(await file.arrayBuffer());

/**
 * The validity in whole days, or an error for the Days field: `type=number` alone lets "1e3",
 * "12.5" and "" through.
 */
function readDays() {
  const text = $('days').value.trim();
  const max = defaults.maxDays;
  if (!/^[0-9]+$/.test(text)) {
    throw { field: 'days', message: `Validity must be a whole number of days, from 1 to ${max}${text ? ` (not \u201c${text}\u201d)` : ''}.` };
  }
  const days = Number(text);
  if (days < 1) throw { field: 'days', message: 'Validity must be at least 1 day.' };
  if (days > max) throw { field: 'days', message: `Validity cannot exceed ${max} days (100 years).` };
  return days;
}

/** Kinds whose certificate a browser checks as a TLS server, and the longest validity browsers accept. */
const SERVER_KINDS = ['ca-leaf', 'self'];
const BROWSER_MAX_DAYS = 397;

/** Warns (without refusing) when a server certificate would be valid longer than browsers accept. */
function onDaysInput() {
  const warning = $('days-warning');
  const text = $('days').value.trim();
  const tooLong = SERVER_KINDS.includes(currentKind()) && /^[0-9]+$/.test(text) && Number(text) > BROWSER_MAX_DAYS;
  warning.hidden = !tooLong;
  warning.textContent = tooLong
    ? `Browsers refuse server certificates valid for more than ${BROWSER_MAX_DAYS} days; ${text} works only for other clients (curl, OpenSSL, your own code).`
    : '';
}

const utc = (rfc3339) => rfc3339.replace('T', ' ').replace(/:\d\dZ$/, ' UTC');

// ---- the form ---------------------------------------------------------------------------------

let defaults = { leafDays: 397, caDays: 3650, webTransportDays: 14, maxDays: 36525 };
let daysEdited = false;
/** The current CA: the result of generateCa or importCa, plus where it came from. */
let ca = null;

const KINDS = {
  'ca-leaf': { days: () => defaults.leafDays, hint: 'Browsers accept at most 397.' },
  self: { days: () => defaults.leafDays, hint: 'Browsers accept at most 397.' },
  client: { days: () => defaults.leafDays, hint: 'How long the client certificate is valid.' },
  ca: { days: () => defaults.caDays, hint: 'The CA\u2019s lifetime (default ten years).' },
  webtransport: { days: () => defaults.webTransportDays, hint: 'At most 14 for serverCertificateHashes.' },
};

const currentKind = () => document.querySelector('input[name="kind"]:checked').value;

function onKindChange() {
  const kind = currentKind();
  const spec = KINDS[kind];
  if (!daysEdited) $('days').value = spec.days();
  $('days-hint').textContent = spec.hint;
  $('days').max = String(kind === 'webtransport' ? defaults.webTransportDays : defaults.maxDays);
  onDaysInput();
  const key = $('key');
  if (kind === 'webtransport') key.value = 'p256';
  key.disabled = kind === 'webtransport';
  onKeyChange();
  const constrain = $('constrain');
  const makesCa = kind === 'ca' || ((kind === 'ca-leaf' || kind === 'client') && !ca);
  constrain.disabled = !makesCa;
  $('constrain-field').classList.toggle('disabled', !makesCa);
  $('constrain-hint').textContent = makesCa
    ? 'The CA can then only issue for these names, so a leaked CA key cannot impersonate other sites.'
    : kind === 'self' || kind === 'webtransport'
      ? 'Applies only when a CA is made.'
      : 'Certificates are issued by the current CA; this applies when a new CA is made (choose \u201cCA only\u201d).';
}

function onKeyChange() {
  const hints = {
    p256: 'Recommended: works everywhere.',
    p384: 'Larger curve; widely accepted.',
    ed25519: 'Not accepted by browsers for TLS.',
    rsa2048: 'For older clients (Java, Windows, embedded); mkcert\u2019s default.',
    rsa3072: 'Larger RSA; the key takes a moment to make.',
    rsa4096: 'Largest RSA; the key can take several seconds to make.',
  };
  $('key-hint').textContent = currentKind() === 'webtransport'
    ? 'WebTransport requires ECDSA P-256.'
    : hints[$('key').value];
}

function caOptions(api, names, key, days) {
  const options = { key };
  if (days !== undefined) options.days = days;
  if ($('constrain').checked) options.nameConstraints = api.nameConstraintsFor(names);
  return options;
}

const makeCa = (api, names, key, days) => webcrypto.ca(api, caOptions(api, names, key, days));

/**
 * Status while generating; slow (RSA) keys say so next to the button too, with the seconds so far,
 * and the button shows it is busy. Returns what stops the progress display, if any.
 */
async function busyStatus(button, key, twoKeys) {
  button.setAttribute('aria-busy', 'true');
  const crypto = await webcrypto.cryptoFor(key);
  const by = crypto === 'webcrypto' ? 'the browser\u2019s WebCrypto' : 'WebAssembly';
  if (!webcrypto.isSlow(key)) return setStatus('Generating\u2026');
  const keys = twoKeys ? 'two RSA keys' : 'an RSA key';
  const started = performance.now();
  const progress = $('generate-progress');
  progress.hidden = false;
  const tick = () => {
    const seconds = Math.floor((performance.now() - started) / 1000);
    const text = `Generating ${keys} (${key.slice(3)} bits) with ${by}\u2026 ${seconds ? `${seconds} s` : ''}`.trim();
    setStatus(text);
    progress.textContent = `${text} \u2014 the page stays usable meanwhile.`;
  };
  tick();
  const timer = setInterval(tick, 1000);
  return () => {
    clearInterval(timer);
    progress.hidden = true;
    progress.textContent = '';
  };
}

/** The PEM to issue with: the CA with any issuers above it. */
const issuerPem = (authority) => authority.chainPem ?? authority.certificatePem;

async function onGenerate(event) {
  event.preventDefault();
  clearErrors('generate');
  const kind = currentKind();
  if (kind === 'ca' && !confirmDiscard('Replace')) return setStatus('Kept the current CA.');
  const names = $('names').value;
  const key = $('key').value;
  const button = $('generate-button');
  button.disabled = true;
  let ticker;
  try {
    const days = readDays();
    ticker = await busyStatus(button, kind === 'webtransport' ? 'p256' : key, kind !== 'self' && kind !== 'ca' && !ca);
    await nextFrame();
    const api = await packageFor(names);
    let cards;
    if (kind === 'self') {
      const leaf = await webcrypto.selfSigned(api, { names, key, days });
      cards = [leafCard(leaf, 'Self-signed certificate')];
    } else if (kind === 'webtransport') {
      cards = [webTransportCard(await webcrypto.webTransport(api, { names, days }))];
    } else if (kind === 'ca') {
      const fresh = await makeCa(api, names, key, days);
      setCa(fresh, 'new');
      cards = [caCard(ca)];
    } else {
      const usage = kind === 'client' ? 'client' : 'server';
      const options = { names, key, days, usage };
      const made = ca
        ? { ca, leaf: await webcrypto.leaf(api, ca, options) }
        : await webcrypto.caAndLeaf(api, caOptions(api, names, key, undefined), options);
      const leaf = made.leaf;
      if (made.ca !== ca) setCa(made.ca, 'new');
      cards = [leafCard(leaf, usage === 'client' ? 'Client certificate' : 'Server certificate'), caCard(ca)];
    }
    showResults(cards);
  } catch (error) {
    showError('generate', error);
    markResultsStale('These results are from an earlier run: the last Generate failed (see the error under the Generate button).');
  } finally {
    ticker?.();
    button.removeAttribute('aria-busy');
    button.disabled = false;
  }
}

// ---- the CA panel ---------------------------------------------------------------------------

/** Where a CA is kept across reloads when the user asks: this origin's localStorage, never sent. */
const KEPT_CA = 'selfsign.keptCa';

/**
 * Makes `result` the current CA (null forgets it). The CA's key counts as saved once it came from
 * a file or was downloaded or copied; a CA kept across reloads stays kept when it is replaced.
 */
function setCa(result, origin, { kept = Boolean(ca?.kept), keySaved = origin === 'imported' } = {}) {
  ca = result ? { ...result, origin, kept: kept && Boolean(result), keySaved } : null;
  storeCa();
  const panel = $('ca-current');
  if (!ca) {
    panel.replaceChildren(h('p', { class: 'muted' }, 'No CA loaded. One is made when you generate a CA-issued certificate, or import your own below.'));
  } else {
    const info = ca.info;
    const keyAlgorithm = info.keyAlgorithm === 'RSA' && info.keyBits ? `RSA ${info.keyBits}` : info.keyAlgorithm;
    panel.replaceChildren(
      h('div', { class: 'ca-summary', dataset: { role: 'current-ca' } },
        h('p', {}, h('strong', {}, info.commonName ?? info.subject), ' ',
          h('span', { class: 'tag' }, ca.origin === 'imported' ? 'imported' : 'made here')),
        h('p', { class: 'muted' }, `${keyAlgorithm} · expires ${utc(info.notAfterRfc3339)} (${info.daysLeft} days)`),
        info.permittedNames.length
          ? h('p', { class: 'muted' }, 'Only for: ', info.permittedNames.join(', '))
          : null,
        h('div', { class: 'buttons' },
          h('button', { type: 'button', onclick: () => download(ca.files.certificate, ca.certificatePem) }, `Download ${ca.files.certificate}`),
          h('button', { type: 'button', onclick: () => { download(ca.files.key, ca.keyPem); caKeySaved(); } }, `Download ${ca.files.key}`),
          h('button', { type: 'button', class: 'quiet', onclick: onForgetCa }, 'Forget CA')),
        h('div', { class: 'field check keep' },
          h('label', {}, h('input', { type: 'checkbox', id: 'ca-keep', checked: ca.kept, 'aria-describedby': 'ca-keep-hint', onchange: onKeepCa }),
            ' Keep this CA in this browser across reloads'),
          h('p', { class: 'hint', id: 'ca-keep-hint' },
            'Off by default. When on, the CA and its private key are stored unencrypted in this browser\u2019s local storage for this page\u2019s address, and never sent anywhere. \u201cForget CA\u201d removes them, as does clearing this site\u2019s data.'))));
  }
  $('sign-button').disabled = !ca;
  onKindChange();
}

/** Writes the current CA to local storage when the user asked to keep it, and removes it otherwise. */
function storeCa() {
  try {
    if (ca?.kept) {
      localStorage.setItem(KEPT_CA, JSON.stringify({ certificatePem: issuerPem(ca), keyPem: ca.keyPem, origin: ca.origin, keySaved: ca.keySaved }));
    } else {
      localStorage.removeItem(KEPT_CA);
    }
  } catch (error) {
    if (ca?.kept) {
      ca.kept = false;
      setStatus(`Could not keep the CA in this browser: ${error.message}`);
    }
  }
}

/** The CA kept by an earlier visit, if any, made current again (with the full package). */
async function restoreCa() {
  let stored;
  try {
    stored = JSON.parse(localStorage.getItem(KEPT_CA) ?? 'null');
  } catch {
    stored = null;
  }
  if (!stored?.certificatePem || !stored.keyPem) return;
  try {
    const api = await webcrypto.full();
    setCa(api.importCa(stored.certificatePem, stored.keyPem), stored.origin ?? 'imported', { kept: true, keySaved: Boolean(stored.keySaved) });
    setStatus(`Ready · restored the CA \u201c${ca.info.commonName ?? ca.info.subject}\u201d kept in this browser`);
  } catch (error) {
    setStatus(`The CA kept in this browser could not be loaded (${error.message}); it is still stored until you forget it.`);
  }
}

function onKeepCa(event) {
  if (!ca) return;
  ca.kept = event.currentTarget.checked;
  storeCa();
  setStatus(ca.kept ? 'The CA is kept in this browser (local storage) until you forget it.' : 'The CA is no longer kept in this browser.');
}

/** Records that the current CA's private key left the tab (downloaded or copied). */
function caKeySaved(authority = ca) {
  if (!authority || authority.keyPem !== ca?.keyPem) return;
  ca.keySaved = true;
  storeCa();
}

/** Whether nothing else has the current CA's key: then discarding the CA loses it for good. */
const caAtRisk = () => Boolean(ca && ca.keyPem && !ca.keySaved);

/**
 * Asks before an action replaces the current CA while its key exists only in this tab; true to go on.
 * `verb` is what the action does to the CA ("Replace").
 */
function confirmDiscard(verb) {
  if (!caAtRisk()) return true;
  return window.confirm(`${verb} the current CA \u201c${ca.info.commonName ?? ca.info.subject}\u201d? Its private key (${ca.files.key}) was never downloaded and exists only in this tab: once it is gone, nothing can issue certificates under that CA again. Cancel, then download the key, to keep it.`);
}

function onForgetCa() {
  const question = [
    `Forget the CA \u201c${ca.info.commonName ?? ca.info.subject}\u201d?`,
    caAtRisk() ? `Its private key (${ca.files.key}) was never downloaded and exists only in this tab: once forgotten, nothing can issue certificates under that CA again.` : '',
    ca.kept ? 'This also removes the copy kept in this browser.' : '',
  ].filter(Boolean).join(' ');
  if (!window.confirm(question)) return setStatus('Kept the CA.');
  const shown = $('results-body').querySelector('[data-role="ca"]');
  setCa(null, null, { kept: false });
  setStatus('CA forgotten.');
  if (shown) markResultsStale('These results are from before the CA was forgotten: it no longer issues here.');
}

/** Warns before a reload or close discards a CA whose key exists only in this tab. */
function onBeforeUnload(event) {
  if (!caAtRisk() || ca.kept) return;
  event.preventDefault();
  event.returnValue = '';
}

async function onImport() {
  clearErrors('import');
  const certFile = $('ca-cert').files[0];
  const keyFile = $('ca-key').files[0];
  if (!certFile) return showError('import', { field: 'caCert', message: 'Choose the CA certificate file (e.g. rootCA.pem).' });
  if (!keyFile) return showError('import', { field: 'caKey', message: 'Choose the CA private key file (e.g. rootCA-key.pem).' });
  try {
    const [cert, key] = await Promise.all([readBytes(certFile), readBytes(keyFile)]);
    const imported = (await webcrypto.full()).importCa(cert, key);
    if (!confirmDiscard('Replace')) return setStatus('Kept the current CA.');
    setCa(imported, 'imported');
    showResults([caCard(ca)]);
    setStatus(`Imported CA \u201c${ca.info.commonName ?? ca.info.subject}\u201d.`);
  } catch (error) {
    showError('import', error);
  }
}

async function onSign() {
  clearErrors('sign');
  if (!ca) return showError('sign', { message: 'Generate or import a CA first.' });
  try {
    const usage = currentKind() === 'client' ? 'client' : 'server';
    const signed = await webcrypto.signCsr(selfsign, ca, $('csr').value, { usage, days: readDays() });
    showResults([leafCard(signed, 'Certificate signed from the CSR'), caCard(ca)]);
  } catch (error) {
    showError('sign', error);
    markResultsStale('These results are from an earlier run: the last CSR signing failed (see the error under Sign CSR).');
  }
}

// ---- results ----------------------------------------------------------------------------------

/**
 * Shows new results, then moves focus to them (so a keyboard user lands there, not on <body>) and
 * scrolls them into view unless their top is already on screen.
 */
function showResults(cards) {
  const body = $('results-body');
  body.replaceChildren(...cards);
  delete body.dataset.stale;
  body.dataset.count = String(Number(body.dataset.count ?? 0) + 1);
  const made = cards.map((card) => card.dataset.file).filter(Boolean);
  const crypto = cards.map((card) => card.dataset.crypto).find(Boolean);
  body.dataset.crypto = crypto ?? '';
  const by = { webcrypto: ' with WebCrypto', wasm: ' with WebAssembly' };
  const files = made.join(', ').split(', ').filter(Boolean);
  const summary = files.length > 1 ? `${files[0]} and ${files.length - 1} more file${files.length > 2 ? 's' : ''}` : files[0] ?? 'results below';
  setStatus(`Done: ${summary}${by[crypto] ?? ''}`);
  const results = $('results');
  results.focus({ preventScroll: true });
  const top = results.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight / 3) results.scrollIntoView({ block: 'start' });
}

/** Marks the results on show as an earlier run's, after something failed or the CA they show was forgotten. */
function markResultsStale(reason) {
  const body = $('results-body');
  if (!body.dataset.count) return;
  body.dataset.stale = 'true';
  body.querySelector('.stale-note')?.remove();
  body.prepend(h('p', { class: 'stale-note', role: 'note' }, reason));
}

/** A PEM (or other text) block with Copy and Download buttons. */
function textBlock(kind, label, fileName, text, { rows = 6, note, onSave } = {}) {
  const id = `pem-${kind}-${Math.random().toString(36).slice(2, 8)}`;
  return h('div', { class: 'pem', dataset: { pem: kind } },
    h('div', { class: 'pem-head' },
      h('label', { for: id }, label),
      fileName ? h('code', { class: 'file' }, fileName) : null,
      h('span', { class: 'buttons' },
        h('button', { type: 'button', onclick: (e) => { copyText(text, e.currentTarget); onSave?.(); } }, 'Copy'),
        fileName ? h('button', { type: 'button', onclick: () => { download(fileName, text); onSave?.(); } }, 'Download') : null)),
    note ? h('p', { class: 'hint' }, note) : null,
    h('textarea', { id, readonly: true, rows, class: 'mono', spellcheck: 'false', value: text }));
}

function decoded(info) {
  const rows = [];
  const row = (term, ...value) => rows.push(h('dt', {}, term), h('dd', {}, ...value));
  row('Subject', info.subject || '(empty)');
  row('Issuer', info.issuer || '(empty)', info.selfSigned ? h('span', { class: 'tag' }, 'self-signed') : null);
  if (info.subjectAltNames.length) {
    row('Names', h('ul', { class: 'chips' }, info.subjectAltNames.map((name) => h('li', {}, name))));
  }
  const state = !info.validNow
    ? h('span', { class: 'tag bad' }, info.notAfter * 1000 < Date.now() ? 'expired' : 'not yet valid')
    : h('span', { class: 'tag good' }, `valid · ${info.daysLeft} days left`);
  row('Validity', `${utc(info.notBeforeRfc3339)} → ${utc(info.notAfterRfc3339)} `, state);
  row('Key', info.keyAlgorithm, info.keyBits ? ` · ${info.keyBits} bits` : '', ` · signed with ${info.signatureAlgorithm}`);
  const usages = [...info.keyUsage, ...info.extendedKeyUsage];
  if (usages.length) row('Usage', usages.join(', '));
  row('CA', info.isCa ? `yes${info.pathLen != null ? `, path length ${info.pathLen}` : ''}` : 'no');
  if (info.permittedNames.length) row('Permitted', info.permittedNames.join(', '));
  if (info.excludedNames.length) row('Excluded', info.excludedNames.join(', '));
  row('Serial', h('code', { class: 'wrap-any' }, info.serial));
  row('SHA-256', h('code', { class: 'wrap-any' }, info.sha256Fingerprint));
  row('SPKI pin', h('code', { class: 'wrap-any' }, info.spkiSha256Base64));
  return h('dl', { class: 'decoded' }, rows);
}

function leafCard(result, title) {
  const files = result.files;
  const names = [files.certificate, files.key].filter(Boolean);
  return h('article', { class: 'result', dataset: { role: 'leaf', file: names.join(', '), crypto: result.crypto } },
    h('header', {}, h('h3', {}, title), h('p', { class: 'muted' }, names.join(' · '))),
    decoded(result.info),
    textBlock('certificate', 'Certificate', files.certificate, result.certificatePem),
    result.keyPem ? textBlock('key', 'Private key', files.key, result.keyPem, { note: 'Keep it private. It was made in this tab and exists nowhere else.' }) : null,
    result.chainPem ? textBlock('chain', 'Full chain', files.chain, result.chainPem, { note: 'Certificate then CA: what a server sends. Trust the CA, not this file.' }) : null,
    usageHint(result));
}

function usageHint(result) {
  const { certificate, key } = result.files;
  if (!key) return null;
  const client = result.info.extendedKeyUsage.includes('clientAuth') && !result.info.extendedKeyUsage.includes('serverAuth');
  const command = client
    ? `curl --cert ${certificate} --key ${key} https://localhost:8443/`
    : `openssl s_server -accept 8443 -cert ${certificate} -key ${key} -www`;
  const words = command.split(' ').map((word) => h('span', {}, word));
  return h('p', { class: 'hint' }, 'Try it: ', h('code', { class: 'command' }, words.flatMap((word, i) => (i ? [' ', word] : [word]))));
}

function caCard(authority) {
  const files = authority.files;
  const origin = authority.origin === 'imported' ? 'imported' : 'made here';
  return h('article', { class: 'result', dataset: { role: 'ca', file: authority.origin === 'new' ? `${files.certificate}, ${files.key}` : '', crypto: authority.origin === 'new' ? authority.crypto : undefined } },
    h('header', {}, h('h3', {}, 'Local CA ', h('span', { class: 'tag' }, origin)), h('p', { class: 'muted' }, `${files.certificate} · ${files.key}`)),
    h('p', { class: 'hint' }, 'Trust ', h('code', {}, files.certificate), ' once (system store, or your browser\u2019s certificate settings) and every certificate it issues is trusted. Keep ', h('code', {}, files.key), ' secret.'),
    decoded(authority.info),
    textBlock('ca-certificate', 'CA certificate', files.certificate, authority.certificatePem),
    authority.keyPem ? textBlock('ca-key', 'CA private key', files.key, authority.keyPem, { onSave: () => caKeySaved(authority) }) : null);
}

function webTransportCard(result) {
  const files = result.files;
  return h('article', { class: 'result', dataset: { role: 'webtransport', file: `${files.certificate}, ${files.key}`, crypto: result.crypto } },
    h('header', {}, h('h3', {}, 'WebTransport certificate'), h('p', { class: 'muted' }, `${files.certificate} · ${files.key}`)),
    h('p', { class: 'hint' }, 'Serve it from your HTTP/3 server and pin it in the page with ', h('code', {}, 'serverCertificateHashes'), '; no CA or trust store needed. Regenerate before it expires.'),
    textBlock('sha256-literal', 'SHA-256 as a JS byte array', null, result.sha256Literal, { rows: 3 }),
    textBlock('sha256-base64', 'SHA-256 as base64', null, result.sha256Base64, { rows: 1 }),
    textBlock('snippet', 'Example', null, result.snippet, { rows: 4 }),
    decoded(result.info),
    textBlock('certificate', 'Certificate', files.certificate, result.certificatePem),
    textBlock('key', 'Private key', files.key, result.keyPem));
}

// ---- inspect -----------------------------------------------------------------------------------

async function onInspect(input) {
  clearErrors('inspect');
  const out = $('inspect-results');
  try {
    const infos = (await webcrypto.full()).inspect(input);
    out.replaceChildren(...infos.map((info, index) =>
      h('article', { class: 'result', dataset: { role: 'inspected' } },
        h('header', {}, h('h3', {}, infos.length > 1 ? `Certificate ${index + 1} of ${infos.length}` : 'Certificate'),
          h('p', { class: 'muted' }, info.commonName ?? info.subject)),
        decoded(info))));
    setStatus(`Inspected ${infos.length} certificate${infos.length > 1 ? 's' : ''}.`);
  } catch (error) {
    out.replaceChildren();
    showError('inspect', error);
  }
}

async function onInspectFile() {
  const file = $('inspect-file').files[0];
  if (!file) return;
  const bytes = await readBytes(file);
  const text = new TextDecoder().decode(bytes);
  if (text.includes('-----BEGIN')) $('inspect-input').value = text;
  onInspect(bytes);
}

// ---- start -------------------------------------------------------------------------------------

function wire() {
  $('generate-form').addEventListener('submit', onGenerate);
  for (const radio of document.querySelectorAll('input[name="kind"]')) radio.addEventListener('change', onKindChange);
  $('key').addEventListener('change', onKeyChange);
  $('days').addEventListener('input', () => { daysEdited = true; onDaysInput(); });
  window.addEventListener('beforeunload', onBeforeUnload);
  $('names').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('generate-form').requestSubmit();
  });
  $('import-button').addEventListener('click', onImport);
  $('sign-button').addEventListener('click', onSign);
  $('inspect-button').addEventListener('click', () => onInspect($('inspect-input').value));
  $('inspect-file').addEventListener('change', onInspectFile);
  onKindChange();
}

/** Says on the page that it cannot work, and why: the status badge and next to Generate. */
function failToStart(message) {
  setStatus(message);
  const slot = $('generate-error');
  slot.textContent = message;
  slot.hidden = false;
  document.documentElement.dataset.ready = 'false';
}

const BUILD_HINT = 'Build it with \u201cmake web\u201d (scripts/web-build), which writes web/pkg, then reload.';

async function start() {
  wire();
  try {
    selfsign = await import('./pkg/selfsign_wasm.js');
  } catch (error) {
    return failToStart(`The WebAssembly package is missing: pkg/selfsign_wasm.js did not load (${error.message}). ${BUILD_HINT}`);
  }
  try {
    await selfsign.default();
    defaults = { ...defaults, ...selfsign.defaults() };
  } catch (error) {
    return failToStart(`Could not load the WebAssembly module pkg/selfsign_wasm_bg.wasm: ${error.message}. ${BUILD_HINT}`);
  }
  await webcrypto.preloadFallback();
  for (const id of ['generate-button', 'import-button', 'inspect-button']) $(id).disabled = false;
  onKindChange();
  setStatus('Ready · works offline');
  await restoreCa();
  document.documentElement.dataset.ready = 'true';
}

start();

// Served by `selfsign serve --badssl`, the page carries the listing's path and a CSP that lets it
// reach the badssl endpoints; only then is the panel's module loaded.
if (document.body.dataset.badssl) {
  import('./badssl.js').then((panel) => panel.run(document.body.dataset.badssl));
}
