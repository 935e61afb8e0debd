/** `nightshift monitor --help`. */
export const MONITOR_HELP = `Usage: nightshift monitor show --model NAME [--window 1h] [--windows N] [--last N] [--json]
       nightshift monitor policy --model M [--json] [policy flags --reason TEXT]
       nightshift monitor events --model M [--limit N] [--json]
       nightshift monitor run --model M [--json]

show:    live metrics of a served model, from the prediction log and the feedback on it (the same
         metric functions as offline evaluation): accuracy, precision, recall and F1 (macro and
         per class), the confusion matrix, prediction counts, the predicted-label distribution and
         latency; for the production version, over the last N labelled predictions, and per
         version in time windows (by prediction time). Reads the registry directly; the server's
         GET /v1/models/NAME/monitor gives the same JSON.
           --model NAME   the model (required)
           --window W     window width: 1h (default), 15m, 1d, or seconds
           --windows N    how many windows back from now (default 24)
           --last N       the last N labelled predictions (default 500)
           --json         one JSON document: {model, generatedAt, windowSeconds, current: {version,
                          predictions, labelled, accuracy, precision, recall, f1, perClass,
                          confusionMatrix, labelDistribution, latencyMs}, lastN: {...},
                          windows: [{start, end, version, ...}]}
policy:  the monitor's policy for the model (defaults until one is set). Changing it stores a new
         audited version (--reason required, --actor defaults to the login name) and creates or
         updates the model's monitor schedule (monitor-<model>) on the running stack:
           --min-accuracy X          retrain when live accuracy < X (0.8)
           --max-accuracy-drop D     retrain when live accuracy is D below the offline one (0.05)
           --min-labelled N          judge accuracy only with N labelled predictions (50)
           --max-drift J             retrain when served-token JS divergence vs training > J (0.15)
           --max-prediction-drift P  retrain when predicted-label PSI vs training > P (0.25)
           --min-served N            judge drift only with N served texts (100)
           --every D                 how often the monitor evaluates (15 minutes)
           --window D                which predictions it evaluates: the last D (24 hours)
           --cooldown D              after it starts a run, none for D (6 hours)
           --no-retrain / --retrain  record and notify only / also start runs (retrain)
events:  the evaluations the monitor recorded, newest first: numbers, breaches, what it did.
run:     evaluate now (the same workflow the schedule runs) and print what it decided.

Examples:
  nightshift monitor show --model spam --window 15m --windows 8
  nightshift monitor policy --model spam --min-accuracy 0.9 --every 5m --reason "tighter watch"
  nightshift monitor events --model spam --limit 10
  nightshift monitor run --model spam`;
