/** `nightshift predict --help`. */
export const PREDICT_HELP = `Usage: nightshift predict --model NAME (--text TEXT | --file F.jsonl) [--url URL | --direct]
                         [--json]

Classifies texts with the model's production version.

Through the model server when one is running (--url, else the server \`nightshift up\` started for
this NIGHTSHIFT_HOME): the predictions are logged and each gets a prediction_id, which
\`nightshift feedback\` (or POST /v1/feedback) can later label. With --direct, or when no server is
running, the production version is loaded from the registry into this process: nothing is logged
and there are no prediction ids.

  --model NAME     the model (required)
  --text TEXT      one text
  --file F.jsonl   one {"text": ...} object a line (other fields, such as "id", are echoed back)
  --url URL        the model server (default: the running stack's serveUrl)
  --direct         predict in this process from the registry, not through a server
  --json           one JSON document: {model, model_version, via,
                   predictions: [{label, probabilities, prediction_id}]}

NIGHTSHIFT_SERVE_TOKEN, when set, is sent as the bearer token.

Examples:
  nightshift predict --model spam --text "WIN a FREE cruise, click now"
  nightshift predict --model spam --file inbox.jsonl --json
  nightshift predict --model spam --direct --text "lunch at noon?"`;
