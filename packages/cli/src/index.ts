export { runCli } from './run-cli.ts';
export { parsePackageSpec, installName } from './parse-package-spec.ts';
export { parseConfig, serializeConfig } from './entropic-config.ts';
