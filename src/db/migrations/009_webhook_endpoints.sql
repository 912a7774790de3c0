-- Issue 10, section 5: a delivery whose endpoint is disabled before it was delivered
-- ends `canceled` (disabling an endpoint stops what was already queued for it).
alter table webhook_deliveries drop constraint webhook_deliveries_status_check;
alter table webhook_deliveries
  add constraint webhook_deliveries_status_check check (status in ('pending', 'delivered', 'failed', 'canceled'));

-- Disabling an endpoint cancels its pending deliveries: find them without a scan.
create index webhook_deliveries_endpoint_pending on webhook_deliveries (endpoint_id) where status = 'pending';
