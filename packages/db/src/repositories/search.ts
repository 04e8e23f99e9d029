import type { SearchHit, SearchRepository } from '@entropic/core';
import { sql } from 'kysely';
import type { Executor } from './executor.ts';

/** `%`, `_` and `\` are LIKE wildcards: a query is matched as a literal prefix. */
/** How many days of downloads make a package's popularity (as the home page's "most downloaded"). */
const POPULARITY_DAYS = 30;

function monthAgo(): string {
  return new Date(Date.now() - (POPULARITY_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
}

/** A package's downloads since a day, for a row `s` with namespace, host (null: this registry) and name. */
function popularity(sinceDay: string) {
  return sql<number>`coalesce((SELECT sum(d.count) FROM download_counts d
    WHERE d.namespace = s.namespace AND d.host = coalesce(s.host, '') AND d.name = s.name AND d.day >= ${sinceDay}::date), 0)`;
}

function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface HitRow {
  package_id: string | number;
  private: boolean;
  npm_name: string;
  namespace: string;
  host: string | null;
  name: string;
  version: string;
  description: string;
  keywords: string[];
  maintainers: string[];
  published_at: Date;
  downloads: string | number;
  name_tier: number;
  relevance: number;
  total: string | number;
}

function toHit(row: HitRow): SearchHit {
  return {
    packageId: Number(row.package_id),
    private: row.private,
    npmName: row.npm_name,
    namespace: row.namespace,
    host: row.host,
    name: row.name,
    version: row.version,
    description: row.description,
    keywords: row.keywords,
    maintainers: row.maintainers,
    publishedAt: new Date(row.published_at),
    downloads: Number(row.downloads),
    nameTier: Number(row.name_tier),
    relevance: Number(row.relevance),
  };
}

const HIT_COLUMNS = sql.raw(
  '(SELECT p.private OR n.private FROM packages p JOIN namespaces n ON n.id = p.namespace_id WHERE p.id = s.package_id) AS private, ' +
    's.package_id, s.npm_name, s.namespace, s.host, s.name, s.version, s.description, s.keywords, s.maintainers, s.published_at, s.downloads',
);
/** At most this many typo matches complete a first page (and count in its total). */
const FUZZY_LIMIT = 50;

async function countMatches(db: Executor, text: string, prefix: string): Promise<number> {
  const counted = await sql<{ total: string | number }>`
    SELECT count(*) AS total FROM package_search s
    WHERE s.document @@ (plainto_tsquery('english', ${text}) || plainto_tsquery('simple', ${text}))
      OR lower(s.name) LIKE ${prefix} ESCAPE '\\' OR lower(s.npm_name) LIKE ${prefix} ESCAPE '\\'`.execute(db);
  return Number(counted.rows[0]?.total ?? 0);
}

export function searchRepository(db: Executor): SearchRepository {
  return {
    async findSource(packageId) {
      const pkg = await db
        .selectFrom('packages as p')
        .innerJoin('namespaces as n', 'n.id', 'p.namespace_id')
        .leftJoin('dist_tags as t', (join) => join.onRef('t.package_id', '=', 'p.id').on('t.tag', '=', 'latest'))
        .leftJoin('versions as v', (join) =>
          join.onRef('v.package_id', '=', 'p.id').onRef('v.version', '=', 't.version').on('v.yanked', '=', false),
        )
        .leftJoin('npm_tarballs as nt', 'nt.version_id', 'v.id')
        .select([
          'p.id',
          'p.name',
          'p.yanked',
          'p.modified_at',
          'n.name as namespace',
          'n.host',
          'v.version',
          'v.created_at as version_created_at',
          'v.files',
          'v.derived_files',
          'nt.manifest',
        ])
        .where('p.id', '=', packageId)
        .executeTakeFirst();
      if (!pkg) return undefined;
      const maintainers = await db
        .selectFrom('package_maintainers as pm')
        .innerJoin('namespaces as n', 'n.id', 'pm.namespace_id')
        .select('n.name')
        .where('pm.package_id', '=', packageId)
        .where('pm.accepted', '=', true)
        .orderBy('n.name')
        .execute();
      const latest =
        pkg.version && pkg.version_created_at && pkg.files && pkg.derived_files
          ? {
              version: pkg.version,
              createdAt: pkg.version_created_at,
              files: pkg.files,
              derivedFiles: pkg.derived_files,
              manifest: pkg.manifest,
            }
          : undefined;
      return {
        packageId: pkg.id,
        namespace: pkg.namespace,
        host: pkg.host,
        name: pkg.name,
        yanked: pkg.yanked,
        modifiedAt: pkg.modified_at,
        latest,
        maintainers: maintainers.map((m) => m.name),
      };
    },

    async save(doc) {
      // Names are split on - _ . / @ so `express-session` is found by `session`; the simple
      // configuration keeps names and keywords unstemmed, english stems prose.
      const nameWords = `${doc.name} ${doc.npmName.replace(/[-_./@]+/g, ' ')}`;
      const document = sql<string>`setweight(to_tsvector('simple', ${nameWords}), 'A')
        || setweight(to_tsvector('simple', ${doc.keywords.join(' ')}), 'B')
        || setweight(to_tsvector('english', ${doc.description}), 'B')
        || setweight(to_tsvector('simple', ${doc.namespace}), 'C')
        || setweight(to_tsvector('english', ${doc.readme}), 'D')`;
      const values = {
        npm_name: doc.npmName,
        namespace: doc.namespace,
        host: doc.host,
        name: doc.name,
        version: doc.version,
        description: doc.description,
        keywords: JSON.stringify(doc.keywords),
        maintainers: JSON.stringify(doc.maintainers),
        published_at: doc.publishedAt,
        source_modified_at: doc.sourceModifiedAt,
      };
      await sql`INSERT INTO package_search (package_id, npm_name, namespace, host, name, version, description, keywords,
          maintainers, published_at, source_modified_at, indexed_at, document, downloads)
        SELECT ${doc.packageId}, ${values.npm_name}, ${values.namespace}, ${values.host}, ${values.name}, ${values.version},
          ${values.description}, ${values.keywords}::jsonb, ${values.maintainers}::jsonb, ${values.published_at},
          ${values.source_modified_at}, now(), ${document}, ${popularity(monthAgo())}
        FROM (SELECT ${values.namespace}::text AS namespace, ${values.host}::text AS host, ${values.name}::text AS name) s
        ON CONFLICT (package_id) DO UPDATE SET npm_name = excluded.npm_name, namespace = excluded.namespace,
          host = excluded.host, name = excluded.name, version = excluded.version, description = excluded.description,
          keywords = excluded.keywords, maintainers = excluded.maintainers, published_at = excluded.published_at,
          source_modified_at = excluded.source_modified_at, indexed_at = excluded.indexed_at, document = excluded.document,
          downloads = excluded.downloads`.execute(db);
    },

    async refreshPopularity(packages, sinceDay) {
      if (packages.length === 0) return;
      const names = sql.join(packages.map((p) => sql`(${p.namespace}, ${p.host ?? ''}, ${p.name})`));
      await sql`UPDATE package_search s SET downloads = ${popularity(sinceDay)}
        WHERE (s.namespace, coalesce(s.host, ''), s.name) IN (${names})`.execute(db);
    },

    async remove(packageId) {
      await db.deleteFrom('package_search').where('package_id', '=', packageId).execute();
    },

    async search({ text, limit, offset }) {
      const prefix = likePrefix(text);
      const tsq = sql`(plainto_tsquery('english', ${text}) || plainto_tsquery('simple', ${text}))`;
      const tier = sql`CASE WHEN lower(s.name) = ${text} OR lower(s.npm_name) = ${text} THEN 3
            WHEN lower(s.name) LIKE ${prefix} ESCAPE '\\' OR lower(s.npm_name) LIKE ${prefix} ESCAPE '\\' THEN 2
            ELSE 1 END`;
      // full text and name prefixes (GIN + btree indexes); no trigram operator here: it is the costly part
      const result = await sql<HitRow>`
        SELECT ${HIT_COLUMNS}, ${tier} AS name_tier,
          ts_rank_cd(s.document, ${tsq}) + public.similarity(lower(s.name), ${text}) AS relevance,
          count(*) OVER () AS total
        FROM package_search s
        WHERE s.document @@ ${tsq} OR lower(s.name) LIKE ${prefix} ESCAPE '\\' OR lower(s.npm_name) LIKE ${prefix} ESCAPE '\\'
        ORDER BY name_tier DESC, relevance DESC, s.downloads DESC, s.npm_name
        LIMIT ${limit} OFFSET ${offset}`.execute(db);
      const hits = result.rows.map(toHit);
      let total = result.rows[0] ? Number(result.rows[0].total) : 0;
      if (total === 0 && offset > 0) total = await countMatches(db, text, prefix);
      // typos: a first page that is not full is completed with names trigram-similar to the text
      if (offset === 0 && total < limit && text.length >= 3) {
        const fuzzy = await sql<HitRow>`
          SELECT ${HIT_COLUMNS}, 1 AS name_tier, public.similarity(lower(s.name), ${text}) AS relevance, 0 AS total
          FROM package_search s
          WHERE lower(s.name) OPERATOR(public.%) ${text}
            AND NOT (s.document @@ ${tsq} OR lower(s.name) LIKE ${prefix} ESCAPE '\\' OR lower(s.npm_name) LIKE ${prefix} ESCAPE '\\')
          ORDER BY relevance DESC, s.downloads DESC, s.npm_name
          LIMIT ${FUZZY_LIMIT}`.execute(db);
        hits.push(...fuzzy.rows.slice(0, limit - hits.length).map(toHit));
        total += fuzzy.rows.length;
      }
      return { total, hits };
    },

    async listStale(afterId, limit) {
      const rows = await db
        .selectFrom('packages as p')
        .leftJoin('package_search as s', 's.package_id', 'p.id')
        .select('p.id')
        .where('p.id', '>', afterId)
        .where((eb) =>
          eb.or([
            eb('s.source_modified_at', '<', eb.ref('p.modified_at')),
            eb.and([
              eb('s.package_id', 'is', null),
              eb('p.yanked', '=', false),
              eb.exists(
                eb.selectFrom('dist_tags as t').select('t.package_id').whereRef('t.package_id', '=', 'p.id').where('t.tag', '=', 'latest'),
              ),
            ]),
          ]),
        )
        .orderBy('p.id')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
  };
}
