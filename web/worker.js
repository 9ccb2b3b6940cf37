// Runs the core's own crypto off the page's main thread: the fallback for slow keys (RSA) where
// the browser has no WebCrypto, so generating them never freezes the page. Messages are
// { id, name, args } calls of the WebAssembly API; answers are { id, result } or { id, error }.
import init, * as selfsign from './pkg/selfsign_wasm.js';

const ready = init();

self.onmessage = async ({ data: { id, name, args } }) => {
  try {
    await ready;
    self.postMessage({ id, result: selfsign[name](...args) });
  } catch (error) {
    self.postMessage({ id, error: { name: error?.name, message: error?.message ?? String(error), field: error?.field } });
  }
};
