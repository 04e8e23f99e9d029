// Preloaded into the real npm CLI (`NODE_OPTIONS=--require …`) by tests of `npm audit signatures`.
// That command first asks Sigstore's TUF repository on the internet for a registry's keys; for any
// registry but npm's own the real repository has no such target, and npm falls back to the
// registry's `GET /-/npm/v1/keys`. This machine is offline, so this answers that one lookup as the
// real repository would (target not found, code TUF_FIND_TARGET_ERROR). Everything else — the keys,
// the packuments, the verification — stays npm's own.
const Module = require('node:module');
const load = Module._load;
Module._load = function loadWithOfflineTuf(request, ...rest) {
  const loaded = load.call(this, request, ...rest);
  if (request !== '@sigstore/tuf') return loaded;
  return {
    ...loaded,
    initTUF: async () => ({
      getTarget: async (name) => {
        const error = new Error(`Target ${name} not found`);
        error.code = 'TUF_FIND_TARGET_ERROR';
        throw error;
      },
    }),
  };
};
