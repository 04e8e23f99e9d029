export * from './canonical.ts';
export * from './errors.ts';
export * from './host-statements.ts';
export * from './names.ts';
export * from './wire.ts';
