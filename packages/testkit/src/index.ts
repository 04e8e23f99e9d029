export * from './builders.ts';
export * from './create-test-app.ts';
export * from './github-stand-in.ts';
export * from './multipart.ts';
export * from './start-npm-upstream.ts';
export * from './start-registry-process.ts';
export * from './start-s3-gateway.ts';
export * from './start-verdaccio.ts';
