export { parseConfig, serializeConfig } from './entropic-config.ts';
export { installName, parsePackageSpec } from './parse-package-spec.ts';
export { runCli } from './run-cli.ts';
