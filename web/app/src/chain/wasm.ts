// The seam between the data layer and medshare-wasm: in the browser the `pkg-web` build
// (copied into web/app/wasm/ by build.mjs, its module URL set by the bundle), in Node tests the
// `pkg-node` build handed to `MedShare.load(config, { crypto })`. Both are the same Rust code
// (web/wasm/src/lib.rs) with the same API; only how the module is instantiated differs.

import type * as Bindings from '../../wasm/medshare_wasm.js';

/** medshare-wasm's API, as both builds export it (the web build's init functions aside). */
export type MedshareCrypto = Omit<typeof Bindings, 'default' | 'initSync'>;

/** Loads the browser build: fetches and instantiates the .wasm next to the bundle. */
export async function loadWebCrypto(): Promise<MedshareCrypto> {
  const bindings = await import('../../wasm/medshare_wasm.js');
  await bindings.default();
  return bindings;
}
