-- The feature store (issue 15): each example's hashed token counts, computed once and reused by
-- every later run whose featurizer counts the same way (`counting_key`: buckets, hash seed,
-- tokenizer and character n-gram settings). A run with other settings counts the text again and
-- replaces the row. Weighting, IDF and normalisation are applied when a run reads the counts.
CREATE TABLE IF NOT EXISTS example_features (
  example_id    bigint PRIMARY KEY REFERENCES examples(id) ON DELETE CASCADE,
  counting_key  text NOT NULL,
  counts        bytea NOT NULL
);
-- Training pages are keyset ranges of one model's training split, in id order.
CREATE INDEX IF NOT EXISTS examples_model_split_id ON examples (model_id, split, id);
