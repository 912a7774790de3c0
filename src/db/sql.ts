/** SQL fragments several query modules build their statements from. */

/**
 * The SET list of a partial update: each column takes its new value when the change gives
 * one and keeps its own otherwise (`column = coalesce($n, column)`), so a change names only
 * what it changes. The placeholders are numbered from `firstParam`; `params` holds their
 * values in that order (a value not given as null). A column that must be cleared to null
 * cannot go through here: the caller writes its own clause for it.
 */
export function setGiven(changes: Record<string, unknown>, firstParam: number): { set: string; params: unknown[] } {
  const columns = Object.keys(changes);
  return {
    set: columns.map((column, i) => `${column} = coalesce($${firstParam + i}, ${column})`).join(',\n       '),
    params: columns.map((column) => changes[column] ?? null),
  };
}

/**
 * Keyset pagination newest first, for tables whose ids only grow: the page before the id
 * in placeholder `before` (the first page when it is null), at most `limit` rows. One index
 * range whatever the page's depth, unlike an offset.
 */
export function newestFirstPage(p: { before: number; limit: number }): string {
  return `($${p.before}::bigint is null or id < $${p.before}) order by id desc limit $${p.limit}`;
}
