/** `nightshift notify --help`. */
import { NOTIFICATION_EVENTS } from '../../registry/notifications.ts';

export const NOTIFY_HELP = `Usage: nightshift notify add --url URL [--events E,E,...] [--json]
       nightshift notify list [--deliveries N] [--json]
       nightshift notify remove (--url URL | --id N) [--json]
       nightshift notify test [--event E] [--json]

Webhooks receive one JSON POST per event: {event, model, text, workflowId, runId, uiLink, command,
details}; chat tools such as Slack show its "text".
Events: ${NOTIFICATION_EVENTS.join(', ')} (default: all).
  approval   a run waits for approval (text has the exact approve command and the UI link)
  promoted   a run promoted its candidate
  rejected   a run's candidate was rejected or not approved
  failed     a run failed (with the cause)
  decay, drift   the monitor saw the model decay or drift
Delivery runs apart from the run (a child workflow), retries failed targets with backoff, and
records every attempt (notify list --deliveries N shows them); a failing webhook never fails or
delays a run. test sends a test message to every target (or those of --event) now.
A URL with credentials (https://user:pass@...) is refused: it would be stored and shown in plain
text; one stored before is listed without them and never delivered to (add it again without).

Examples:
  nightshift notify add --url https://hooks.example.com/nightshift --events approval,failed
  nightshift notify list --deliveries 20
  nightshift notify test --event promoted`;
