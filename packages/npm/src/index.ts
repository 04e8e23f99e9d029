export * from './npm-mirror.ts';
export * from './npm-names.ts';
export * from './npm-packument.ts';
export * from './npm-publish.ts';
export * from './npm-tarball.ts';
export * from './npm-tarball-builder.ts';
export * from './npm-upstream.ts';
export * from './release-age.ts';
