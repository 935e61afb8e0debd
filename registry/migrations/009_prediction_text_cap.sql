-- The prediction log keeps at most the first 64 KiB of a text (cut on a character boundary), with
-- the full text's UTF-8 length here and its sha256 in text_hash: a stored text shorter than
-- text_bytes is a cut one, which feedback does not turn into a training example. NULL on rows
-- written before this column (their text is whole).
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS text_bytes integer;
