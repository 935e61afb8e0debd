-- Webhook URLs with credentials (https://user:pass@host/...) were accepted, never delivered (fetch
-- refuses them), and their secret was shown by `notify list` and copied into every delivery row.
-- `notify add` now refuses them; the stored ones lose their credentials here: a target keeps a
-- marker user (redacted-<id>, so it stays unique and is never delivered to) until it is re-added
-- without credentials; deliveries keep the URL without them. A CHECK keeps new ones out.
UPDATE notification_targets
   SET url = regexp_replace(url, '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@', '\1redacted-' || id || '@')
 WHERE url ~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@' AND url !~ '^[A-Za-z][A-Za-z0-9+.-]*://redacted-[0-9]+@';
UPDATE notification_deliveries
   SET url = regexp_replace(url, '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@', '\1')
 WHERE url ~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@';
ALTER TABLE notification_deliveries
  ADD CONSTRAINT notification_deliveries_no_credentials CHECK (url !~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@');
