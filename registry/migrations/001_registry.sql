-- The model registry. Every mutation that must be atomic happens in one transaction in the
-- registry modules; unique constraints make retried activities no-ops.

CREATE TABLE models (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  labels      text[],
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE examples (
  id            bigserial PRIMARY KEY,
  model_id      bigint NOT NULL REFERENCES models(id),
  text          text NOT NULL,
  label         text NOT NULL,
  source        text NOT NULL,
  external_id   text,
  example_ts    timestamptz,
  metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
  content_hash  bytea NOT NULL,
  split         text NOT NULL CHECK (split IN ('train', 'test')),
  arrived_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, content_hash)
);
CREATE INDEX examples_model_id_id ON examples (model_id, id);

CREATE TABLE dataset_snapshots (
  id               bigserial PRIMARY KEY,
  model_id         bigint NOT NULL REFERENCES models(id),
  workflow_id      text NOT NULL,
  run_id           text NOT NULL,
  status           text NOT NULL CHECK (status IN ('valid', 'invalid', 'empty')),
  champion_version_id bigint,
  after_example_id bigint NOT NULL,
  to_example_id    bigint NOT NULL,
  window_end       timestamptz NOT NULL,
  new_rows         integer NOT NULL,
  train_rows       integer NOT NULL,
  eval_rows        integer NOT NULL,
  label_counts     jsonb NOT NULL,
  content_hash     text NOT NULL,
  profile          jsonb NOT NULL,
  drift            jsonb,
  issues           jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, run_id)
);

CREATE TABLE model_versions (
  id                  bigserial PRIMARY KEY,
  model_id            bigint NOT NULL REFERENCES models(id),
  version             integer NOT NULL,
  status              text NOT NULL CHECK (status IN ('candidate', 'production', 'archived', 'rejected')),
  format_version      integer NOT NULL,
  weights             bytea NOT NULL,
  sha256              text NOT NULL,
  labels              text[] NOT NULL,
  hyperparameters     jsonb NOT NULL,
  training            jsonb NOT NULL,
  dataset_snapshot_id bigint REFERENCES dataset_snapshots(id),
  workflow_id         text NOT NULL,
  run_id              text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, version),
  UNIQUE (workflow_id, run_id)
);

CREATE TABLE evaluations (
  id                  bigserial PRIMARY KEY,
  model_version_id    bigint NOT NULL REFERENCES model_versions(id),
  dataset_snapshot_id bigint NOT NULL REFERENCES dataset_snapshots(id),
  metrics             jsonb NOT NULL,
  correct             boolean[] NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_version_id, dataset_snapshot_id)
);

CREATE TABLE decisions (
  id                   bigserial PRIMARY KEY,
  model_id             bigint NOT NULL REFERENCES models(id),
  dataset_snapshot_id  bigint NOT NULL REFERENCES dataset_snapshots(id),
  champion_version_id  bigint REFERENCES model_versions(id),
  candidate_version_id bigint NOT NULL REFERENCES model_versions(id),
  decision             text NOT NULL CHECK (decision IN ('PROMOTE', 'REJECT')),
  record               jsonb NOT NULL,
  workflow_id          text NOT NULL,
  run_id               text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, run_id)
);

CREATE TABLE aliases (
  model_id    bigint NOT NULL REFERENCES models(id),
  alias       text NOT NULL,
  version_id  bigint NOT NULL REFERENCES model_versions(id),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, alias)
);

-- Append-only: no code path updates or deletes a row.
CREATE TABLE promotion_events (
  id               bigserial PRIMARY KEY,
  model_id         bigint NOT NULL REFERENCES models(id),
  from_version_id  bigint REFERENCES model_versions(id),
  to_version_id    bigint NOT NULL REFERENCES model_versions(id),
  kind             text NOT NULL CHECK (kind IN ('promote', 'rollback', 'override')),
  reason           text NOT NULL,
  decision         jsonb,
  actor            text NOT NULL,
  workflow_id      text NOT NULL,
  run_id           text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, run_id)
);

CREATE TABLE training_checkpoints (
  workflow_id  text NOT NULL,
  run_id       text NOT NULL,
  attempt      integer NOT NULL,
  epoch        integer NOT NULL,
  state        bytea NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, run_id)
);
