/** `nightshift retrain --help`. */
import { HYPERPARAMETER_HELP } from './hyperparameters.ts';

export const RETRAIN_HELP = `Usage: nightshift retrain --model NAME [--wait] [--force] [--require-approval] [--attach] [--json]
                         [hyperparameters]

Starts a retraining run (a manual start) on the running stack and prints its workflow id and
Temporal UI link; with --wait, shows progress (stage, epoch, loss) and prints the decision. A model
runs one retraining at a time: a second start is refused with the running run's id.

  --model NAME             the model to retrain (required)
  --wait                   wait for the run, showing progress, and print its decision
  --force                  train even when no new data arrived; when the new data has fewer
                           held-out rows than the policy needs (30 by default), evaluate on
                           all held-out rows to date
  --require-approval       stop after comparing; promote only after \`nightshift approve\`
  --approval-timeout D     how long to wait for approval, 1s to 365 days (default 24 hours)
  --approval-default A     reject (default) or approve when nobody answers in time
  --mode M                 full (train from zero on all history) or update (continue the production
                           version on the new rows plus a replay sample of older ones); default:
                           the model's setting (\`nightshift models mode\`), else full
  --replay-share X         update mode: share of the training set that replayed older rows make
                           up, in [0, 1) (default 0.5)
  --replay-size N          update mode: replay exactly N older rows instead
  --history-rows N         full mode: train on the N most recent training rows only (default:
                           all history; bounds the time of a retrain over a very long history)
  --policy FILE.json       the promotion policy for this run only (default: the model's stored
                           policy, see \`nightshift models policy\`, else the built-in default)
  --step-timeout D         time limit of each step but training (fetch, evaluate, compare,
                           promote), 1s to 1 day (default 1 minute; raise it for a first run
                           over a history of millions of rows)
  --attach                 when a run is already in progress, follow it instead of failing
  --json                   one JSON document on stdout: {workflowId, runId, uiLink} or, with
                           --wait, the decision

${HYPERPARAMETER_HELP}

Examples:
  nightshift retrain --model spam --wait
  nightshift retrain --model spam --mode update --replay-share 0.3 --wait
  nightshift retrain --model spam --require-approval --approval-timeout 2h
  nightshift retrain --model spam --epochs 20 --learning-rate 0.01 --force --json`;
