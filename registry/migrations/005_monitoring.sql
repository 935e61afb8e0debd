-- Watching served models: each model's monitor policy (versioned, audited like promotion
-- policies), every evaluation the monitor made, and webhook notifications with their deliveries.

CREATE TABLE monitor_policies (
  id          bigserial PRIMARY KEY,
  model_id    bigint NOT NULL REFERENCES models(id),
  version     integer NOT NULL,
  policy      jsonb NOT NULL,
  changed_by  text NOT NULL,
  reason      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, version)
);

CREATE TABLE monitor_events (
  id                  bigserial PRIMARY KEY,
  model_id            bigint NOT NULL REFERENCES models(id),
  -- The monitorModel run that made the evaluation; unique so a retried activity records it once.
  workflow_id         text NOT NULL,
  run_id              text NOT NULL,
  version             integer,
  live                jsonb NOT NULL,
  breaches            jsonb NOT NULL,
  trigger             text CHECK (trigger IN ('decay', 'drift')),
  -- none | retrain-started | cooldown | run-in-progress | retrain-disabled | no-production
  action              text NOT NULL,
  reason              text NOT NULL,
  retrain_workflow_id text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, run_id)
);
CREATE INDEX monitor_events_model_created ON monitor_events (model_id, created_at DESC);

CREATE TABLE notification_targets (
  id          bigserial PRIMARY KEY,
  url         text NOT NULL UNIQUE CHECK (length(url) BETWEEN 8 AND 2000),
  events      text[] NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_deliveries (
  id          bigserial PRIMARY KEY,
  target_id   bigint REFERENCES notification_targets(id) ON DELETE SET NULL,
  url         text NOT NULL,
  event       text NOT NULL,
  model       text,
  status      text NOT NULL CHECK (status IN ('delivered', 'failed')),
  http_status integer,
  error       text,
  attempt     integer NOT NULL,
  -- The workflow that sent it (a run, a monitor evaluation) and the event, unique per attempt.
  source      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_deliveries_created ON notification_deliveries (created_at DESC);
