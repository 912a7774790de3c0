-- Issue 14, sections 1 and 5: statements, exports, the events feed.

-- Events feed (GET /events/). An event's id comes from a sequence taken before its
-- transaction commits, so ids are not in commit order: a reader paging `id > after`
-- could pass an id whose event commits later and never see it. The feed therefore
-- orders events by feed_seq, a per-environment position given at read time, under the
-- environment's row in event_feed_heads, to every committed event that has none yet:
-- an event committed later always gets a larger position than any a reader has seen.
alter table webhook_events add column feed_seq bigint;
create unique index webhook_events_feed on webhook_events (env_id, feed_seq) where feed_seq is not null;
create index webhook_events_unsequenced on webhook_events (env_id, id) where feed_seq is null;
-- Retention (EVENTS_RETENTION_DAYS): the housekeeping purge finds old events by time.
create index webhook_events_created on webhook_events (created_at);

-- The last feed position given per environment (kept when events are purged, so a
-- position is never given twice).
create table event_feed_heads (
  env_id bigint primary key references environments (id),
  last_seq bigint not null default 0
);
