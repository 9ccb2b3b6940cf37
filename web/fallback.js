// The page's fallback where WebCrypto cannot make a key (no WebCrypto at all: a page not served
// from https or localhost, or `?crypto=wasm`): the core's own crypto, run in a worker for slow keys
// (RSA) so the page stays responsive. webcrypto.js loads this module only then, with the page.
import { loadFull } from './webcrypto.js';

let worker;
let wasmModule;
let calls = 0;
const waiting = new Map();

/** A failure of the worker itself (it could not load, or it stopped), not of the input. */
function workerError(detail) {
  const error = new Error(`The WebAssembly worker (worker.js) ${detail}. Reload the page while online and try again.`);
  error.name = 'WorkerError';
  return error;
}

/** Starts the fallback's worker and hands it the full package's compiled `module` (if loaded). */
function startWorker() {
  const started = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  let settle;
  started.loaded = new Promise((resolve) => { settle = resolve; });
  started.onmessage = ({ data }) => {
    if ('started' in data) return settle(data.started);
    const call = waiting.get(data.id);
    if (!call) return;
    waiting.delete(data.id);
    if (!data.error) return call.resolve(data.result);
    const error = new Error(data.error.message);
    error.name = data.error.name ?? 'Error';
    if (data.error.field) error.field = data.error.field;
    call.reject(error);
  };
  const fail = (detail) => (event) => {
    event.preventDefault?.();
    settle(false);
    if (worker === started) worker = undefined; // the next call starts a new one
    started.terminate();
    const error = workerError(event.message ? `${detail}: ${event.message}` : detail);
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  started.onerror = fail('could not start or stopped');
  started.onmessageerror = fail('sent an answer the page could not read');
  started.postMessage({ module: wasmModule });
  return started;
}

/**
 * Loads the full package and the fallback's worker, so the page still makes every key after it
 * goes offline. Resolves once both have loaded (true) or one failed to (false; a call then tries
 * again).
 */
export async function preload() {
  try {
    wasmModule = (await loadFull()).module;
  } catch {
    return false;
  }
  worker ??= startWorker();
  return worker.loaded;
}

/** The synchronous API call `name` with `args`, made in the worker. */
export function inWorker(name, args) {
  worker ??= startWorker();
  const id = ++calls;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, name, args });
  });
}
