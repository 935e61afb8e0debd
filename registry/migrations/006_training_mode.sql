-- Each model's default training mode for runs that do not name one: full retraining on all
-- history, or update (continue the production version on the new rows plus a replay sample).
CREATE TABLE model_settings (
  model_id       bigint PRIMARY KEY REFERENCES models(id),
  training_mode  text NOT NULL CHECK (training_mode IN ('full', 'update')),
  changed_by     text NOT NULL,
  reason         text NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
