export * from './schema.ts';
export * from './create-database.ts';
export * from './migrate.ts';
