export * from './create-database.ts';
export * from './migrate.ts';
export * from './pack-log.ts';
export * from './repositories/index.ts';
export * from './schema.ts';
