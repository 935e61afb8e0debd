/** `nightshift feedback --help`. */
export const FEEDBACK_HELP = `Usage: nightshift feedback --model NAME --file F.jsonl [--json]

Records the true labels of earlier predictions: one {"prediction_id": ..., "label": ...} object a
line (prediction ids from the model server's responses, or \`nightshift predict\` through a server).
Writes to the registry directly (no server needed), as POST /v1/feedback does.

Each labelled prediction becomes a labelled example of the model (source "feedback", time of the
feedback), so the next retraining run trains and evaluates on it. Results per line: recorded,
unchanged (the same label again: a no-op), conflict (the prediction already has another label: the
first label is final), unknown_prediction, unknown_label (not a label of the version that
predicted). Bad lines are reported and skipped.

  --model NAME     the model the predictions belong to (required)
  --file F.jsonl   the feedback (required)
  --json           one JSON document: {model, counts, results: [...], rejected: [{line, reason}]}

Examples:
  nightshift feedback --model spam --file labels.jsonl
  nightshift feedback --model spam --file labels.jsonl --json`;
