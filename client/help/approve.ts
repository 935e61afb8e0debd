/** `nightshift approve --help` and `nightshift reject --help`. */
export const APPROVE_HELP = `Usage: nightshift approve RUN --reason TEXT [--approver NAME] [--json]
       nightshift reject RUN --reason TEXT [--approver NAME] [--json]

Answers a run waiting for approval (started with --require-approval). RUN is its workflow id. The
run refuses an answer for another candidate than the one waiting, or when it is not waiting. Who
answered and why goes into the promotion history.

  --reason TEXT    why (required)
  --approver NAME  who (default: the login name)

Examples:
  nightshift approve retrain-spam-20260301T020000Z --reason "checked the confusion matrix"
  nightshift reject retrain-spam-20260301T020000Z --reason "recall on spam dropped" --approver erin`;
