// Runs the core's own crypto off the page's main thread: the fallback for slow keys (RSA) where
// the browser has no WebCrypto, so generating them never freezes the page. The page starts it
// while loading and first sends { module }, the full package's compiled WebAssembly (or
// undefined: then this fetches it), answered by { started }. Then messages are { id, name, args } calls of the WebAssembly API; answers are
// { id, result } or { id, error }.
import init, * as selfsign from './pkg-full/selfsign_wasm.js';

let ready;

self.onmessage = async ({ data }) => {
  if (!('id' in data)) {
    ready = init(data.module ? { module_or_path: data.module } : undefined);
    // { started } says every file is loaded; a failure is reported to each call below.
    ready.then(() => self.postMessage({ started: true }), () => self.postMessage({ started: false }));
    return;
  }
  const { id, name, args } = data;
  try {
    await (ready ??= init());
    self.postMessage({ id, result: selfsign[name](...args) });
  } catch (error) {
    self.postMessage({ id, error: { name: error?.name, message: error?.message ?? String(error), field: error?.field } });
  }
};
