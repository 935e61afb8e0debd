/** `nightshift models --help`. */
export const MODELS_HELP = `Usage: nightshift models list [--json]
       nightshift models show --model NAME [--json]
       nightshift models promote --model NAME --version V --reason TEXT [--actor NAME] [--json]
       nightshift models rollback --model NAME [--to V] --reason TEXT [--actor NAME] [--json]
       nightshift models policy --model NAME [--json] [--history]
       nightshift models policy --model NAME (--set FILE.json | policy flags) --reason TEXT
                                [--actor NAME]
       nightshift models mode --model NAME [--set full|update --reason TEXT] [--json]

list:     every model with its production version and version count.
show:     one model's versions (status: production, candidate, archived, rejected, superseded,
          abandoned), each with the metrics of its own run beside the champion's, both measured on
          the same held-out rows (the rows column says how many); the promotion history.
promote:  make version V production (an audited override), as a workflow on the running stack.
rollback: make the previous production version (or --to V) production again, as a workflow.
          Both leave exactly one production version and a promotion-history row naming who and why.
policy:   the promotion policy scheduled and manual runs of the model use (the built-in default
          until one is set); every change is a new version naming who and why (--history lists
          them). Change it with --set FILE.json (the JSON that --json prints) or with flags that
          edit the policy in force:
            --min-accuracy X          candidate accuracy at least X
            --min-f1 X                candidate F1 at least X
            --min-f1-improvement X    F1 at least X above the champion's (default 0.001)
            --max-accuracy-drop X     accuracy at most X below the champion's (default 0.005)
            --significance ALPHA      also require McNemar's test at ALPHA (none: drop it)
            --max-token-drift X       refuse when the token distribution drifted more
                                      (JS divergence)
mode:     the training mode of runs that name no --mode: full (from zero on all history, the
          default) or update (continue the production version on the new rows and a replay sample).
list, show, policy and mode work with or without \`nightshift up\` running (they start the embedded
PostgreSQL if needed); promote and rollback need the running stack (or TEMPORAL_ADDRESS).

Examples:
  nightshift models show --model spam
  nightshift models rollback --model spam --reason "v7 misroutes invoices"
  nightshift models policy --model spam --min-f1 0.95 --reason "stricter after the March incident"
  nightshift models mode --model spam --set update --reason "daily batches are small"`;
