-- Indexes for the hot reads of a registry with a hundred models and thousands of versions
-- (`models list|show`, the dashboard's /v1 documents, the monitor, live metrics, the next run's
-- watermark). Each was a sequential scan of its whole table under EXPLAIN before this migration;
-- see bench/scale-explain.ts. Only indexes: no table or row changes.

-- decisionsByCandidate (models show, /v1/models/:name): the latest decision per candidate of one model.
CREATE INDEX IF NOT EXISTS decisions_model_candidate ON decisions (model_id, candidate_version_id, id DESC);
-- lastDecidedSnapshot (every run's fetchNewData): decisions joined to their snapshot.
CREATE INDEX IF NOT EXISTS decisions_dataset_snapshot ON decisions (dataset_snapshot_id);
-- lastDecidedSnapshot: one model's snapshots from the newest watermark down.
CREATE INDEX IF NOT EXISTS dataset_snapshots_model_watermark ON dataset_snapshots (model_id, to_example_id DESC, id DESC);
-- listPromotionEvents (models show, by its model_id prefix) and the rollback's previous-version lookup.
CREATE INDEX IF NOT EXISTS promotion_events_model_to_version ON promotion_events (model_id, to_version_id, id DESC);
-- Live metrics and the monitor: one version's predictions (whole-version counts, windows since a time).
CREATE INDEX IF NOT EXISTS predictions_model_version_created_at ON predictions (model_id, version_id, created_at);
-- Live metrics: one version's most recent feedback.
CREATE INDEX IF NOT EXISTS predictions_model_version_feedback_at ON predictions (model_id, version_id, feedback_at)
  WHERE label_true IS NOT NULL;
-- The monitor's cooldown: the last retraining it started for a model.
CREATE INDEX IF NOT EXISTS monitor_events_model_retrain_started ON monitor_events (model_id, created_at DESC)
  WHERE action = 'retrain-started';
