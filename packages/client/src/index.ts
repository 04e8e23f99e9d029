export * from './client-error.ts';
export * from './multipart-body.ts';
export type { Advisory, BulkAdvisory, NewAdvisory } from './package-calls.ts';
export * from './package-ref.ts';
export * from './registry-client.ts';
export * from './verify-integrity.ts';
