// Trusted Types: the server's Content-Security-Policy requires them for every HTML sink
// (`require-trusted-types-for 'script'`), so assigning a string to innerHTML throws —
// except for the few fixed strings Leaflet writes itself, which this default policy lets
// through. The console's own code never writes markup (dom.js sets text). This module
// must be imported first: Leaflet probes innerHTML while it loads.

const LEAFLET_MARKUP = new Set(['<svg/>', '+', '\u2212', '']);

if (globalThis.trustedTypes && globalThis.trustedTypes.createPolicy) {
  globalThis.trustedTypes.createPolicy('default', {
    createHTML: (s) => (LEAFLET_MARKUP.has(s) ? s : undefined),
  });
}
