-- Serving: the prediction log and the feedback on it. Written by the model server in batches off
-- the request path; read by live metrics and by `nightshift monitor show`.

CREATE TABLE predictions (
  -- The prediction_id the server returned (a UUID), so feedback finds its row.
  id             uuid PRIMARY KEY,
  model_id       bigint NOT NULL REFERENCES models(id),
  version_id     bigint NOT NULL REFERENCES model_versions(id),
  version        integer NOT NULL,
  created_at     timestamptz NOT NULL,
  text_hash      bytea NOT NULL,
  -- NULL when the server runs with --no-log-text (such a prediction cannot become an example).
  text           text,
  label          text NOT NULL,
  -- label -> probability, as the response gave it.
  probabilities  jsonb NOT NULL,
  latency_ms     real NOT NULL,
  -- Feedback: the true label, once given (the first label is final; see docs/serving.md).
  label_true     text,
  feedback_at    timestamptz,
  -- Whether the labelled prediction was handed to the examples import (retried until it was).
  example_imported boolean NOT NULL DEFAULT false
);
-- Texts stored out of line without compression: the log's write rate is the server's throughput
-- limit with texts on, and pglz costs CPU on every row; retention bounds the space instead.
ALTER TABLE predictions ALTER COLUMN text SET STORAGE EXTERNAL;
-- Retention deletes by time; live windows read one model's rows by time.
CREATE INDEX predictions_created_at ON predictions (created_at);
CREATE INDEX predictions_model_created_at ON predictions (model_id, created_at);
CREATE INDEX predictions_model_feedback_at ON predictions (model_id, feedback_at) WHERE label_true IS NOT NULL;
