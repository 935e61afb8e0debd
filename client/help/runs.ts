/** `nightshift runs --help`. */
export const RUNS_HELP = `Usage: nightshift runs list [--model NAME] [--limit N] [--json]
       nightshift runs show RUN [--json]
       nightshift runs cancel RUN --reason TEXT [--by NAME] [--json]

list:   retraining runs, newest first: workflow id, trigger, status, outcome (PROMOTED, REJECTED,
        SKIPPED_*, DATA_INVALID, NOT_APPROVED, SUPERSEDED, FAILED, CANCELLED, TERMINATED,
        TIMED_OUT), champion and candidate versions, and when each started (its age; --json
        gives the time).
show:   one run: its stage, epoch and loss while it runs; its decision when it finished; the root
        cause (type, message, activity) when it failed. Exits 1 for a run that failed, was
        cancelled, terminated or timed out.
cancel: stops a run (a stuck or unwanted one): its candidate is marked abandoned, and its data
        goes to the next run. --reason is required; --by defaults to the login name.

Examples:
  nightshift runs list --model spam --limit 5
  nightshift runs show retrain-spam-20260301T020000Z
  nightshift runs cancel retrain-spam-20260301T020000Z --reason "bad data in today's batch"`;
