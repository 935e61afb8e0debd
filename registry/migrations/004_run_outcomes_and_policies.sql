-- Runs that tell the truth.
-- 1. A decision counts as decided (its data window closed) only once its run reached an outcome:
--    a decision written by a run that then failed, was cancelled or terminated releases its data.
ALTER TABLE decisions ADD COLUMN outcome text
  CHECK (outcome IN ('PROMOTED', 'REJECTED', 'NOT_APPROVED', 'SUPERSEDED'));
UPDATE decisions d SET outcome = CASE
    WHEN d.decision = 'REJECT' THEN 'REJECTED'
    WHEN v.status IN ('production', 'archived') THEN 'PROMOTED'
    WHEN v.status = 'rejected' THEN 'NOT_APPROVED'
    ELSE NULL
  END
  FROM model_versions v WHERE v.id = d.candidate_version_id;

-- 2. A forced run with nothing new evaluates on every row to date; say so.
ALTER TABLE dataset_snapshots ADD COLUMN all_rows_to_date boolean NOT NULL DEFAULT false;

-- 3. Candidates that will never be promoted by their run: superseded ones, and those of runs that
--    were cancelled or failed after training.
ALTER TABLE model_versions DROP CONSTRAINT IF EXISTS model_versions_status_check;
ALTER TABLE model_versions ADD CONSTRAINT model_versions_status_check
  CHECK (status IN ('candidate', 'production', 'archived', 'rejected', 'superseded', 'abandoned'));

-- 4. The promotion policy of each model, versioned and audited: the newest row is in force.
CREATE TABLE model_policies (
  id          bigserial PRIMARY KEY,
  model_id    bigint NOT NULL REFERENCES models(id),
  version     integer NOT NULL,
  policy      jsonb NOT NULL,
  changed_by  text NOT NULL,
  reason      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, version)
);
