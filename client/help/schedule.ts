/** `nightshift schedule --help`. */
import { CRON_NAMES } from '../cron.ts';

/** The default jitter of a schedule; client/schedules.ts applies it (a unit test keeps the two equal). */
export const HELP_DEFAULT_JITTER = '5m';

export const SCHEDULE_HELP = `Usage: nightshift schedule <create|update|describe|pause|unpause|trigger|backfill|delete>
                          --model NAME [options]

Nightly retraining with Temporal Schedules (schedule id nightly-retrain-<model>).

  create           create the schedule; one that exists is left alone and the command fails
                   (exit 1) unless --replace (replace it) or --if-missing (keep it, exit 0)
  update           update the schedule in place (creates it when missing)
      --at HH:MM          time of day (default 02:00)
      --timezone TZ       IANA timezone (default UTC)
      --cron EXPR         a cron expression instead of --at: 5 fields (minute hour day-of-month
                          month day-of-week) or a name: ${CRON_NAMES.slice(0, 4).join(', ')},
                          ${CRON_NAMES.slice(4).join(', ')}
      --jitter DURATION   random delay up to this after each scheduled time, different for
                          each schedule, so a fleet's runs do not all start at once;
                          0s to 24h (default ${HELP_DEFAULT_JITTER}; 0 starts on the dot)
      --catchup-window D  how late a missed run may still start, 10s to 365 days (default 1 hour)
      --overlap P         skip (default: one run per model at a time), buffer-one, allow-all
      --note TEXT         note on the schedule
      --require-approval  scheduled runs wait for \`nightshift approve\` before promoting
  describe         spec, next run times, recent runs with outcomes, running run, skipped and
                   missed counts
  pause, unpause   --note TEXT (required): why
  trigger          start one run now (skipped if one is running)
  backfill         --from ISO --to ISO: start the runs of that range; each trains on its own window
  delete           remove the schedule (runs already started keep going)
  --json           one JSON document on stdout

Whatever the overlap policy, a model runs one retraining at a time: a scheduled run that finds
another run of the model going ends SKIPPED_RUN_IN_PROGRESS, naming it.

Examples:
  nightshift schedule create --model spam --at 03:30 --timezone Europe/Paris
  nightshift schedule describe --model spam
  nightshift schedule pause --model spam --note "holiday freeze"
  nightshift schedule backfill --model spam --from 2026-03-01T00:00Z --to 2026-03-07T00:00Z`;
