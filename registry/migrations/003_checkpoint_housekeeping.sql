-- Training checkpoints: one row per run, rewritten every epoch. Each rewrite leaves the previous
-- state (several hundred KB, in TOAST) dead until a vacuum; with the default thresholds a long
-- run left hundreds of MB of dead checkpoints behind. The registry vacuums the table itself as
-- it writes (versions.ts); these settings let autovacuum step in at once as well.
ALTER TABLE training_checkpoints SET (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 1,
  toast.autovacuum_vacuum_scale_factor = 0,
  toast.autovacuum_vacuum_threshold = 1
);
