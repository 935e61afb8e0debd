/** `nightshift up --help`. */
export const UP_HELP = `Usage: nightshift up [--once] [--json] [--no-worker] [--no-run] [--no-schedule] [--no-serve]
                    [--model NAME]

Starts the embedded stack (Temporal dev server with its Web UI, PostgreSQL) unless TEMPORAL_ADDRESS
or DATABASE_URL point elsewhere, migrates the registry, seeds the demo model "spam" from the
SpamAssassin corpus if it has no data, starts the model server with its dashboard (on
NIGHTSHIFT_SERVE_PORT, default 8080), creates the model's nightly schedule (one that exists is
kept) and its monitor schedule (monitor-<model>), runs a worker, starts one retraining run (or
follows the model's run already in progress) and prints its decision with the Temporal UI link.
Then serves until Ctrl-C (a second Ctrl-C stops at once).

  --once        exit after the run, printing its decision (starts no model server: nothing would
                be served)
  --json        print the run's decision record as one JSON document on stdout
  --no-worker   run no worker here (start \`npm run worker\` processes instead); implies --no-run
  --no-run      start no retraining run
  --no-schedule create neither the nightly schedule nor the monitor schedule
  --no-serve    start no model server (run \`nightshift serve\` elsewhere)
  --model NAME  the model to retrain (default spam)

State lives in NIGHTSHIFT_HOME (default ./.nightshift); shutdown waits at most
NIGHTSHIFT_SHUTDOWN_GRACE (default 10s) for work in flight.

Examples:
  nightshift up                       the whole stack, one run, then serve until Ctrl-C
  nightshift up --once --json         one run on a fresh stack; its decision as JSON, then exit
  nightshift up --no-worker           the stack only; workers run apart (npm run worker)`;
