/** `nightshift serve --help`. */
import { DEFAULT_SERVE_OPTIONS } from '../../serve/options.ts';

export const SERVE_HELP = `Usage: nightshift serve [--model NAME] [--host ADDR] [--port PORT] [--no-log-text]
                       [--retention DAYS] [--require-token-for-predictions | --public-predictions]
                       [--allowed-host NAMES] [--body-limit BYTES] [--max-batch N]
                       [--poll-interval MS]

Runs the HTTP model server: every model's production version from the registry (DATABASE_URL, or
the running stack's PostgreSQL), reloaded within a second of a promotion (PostgreSQL NOTIFY, with
polling as the fallback). Run any number of copies behind a load balancer. Stops on Ctrl-C.

Protocols (docs/serving.md):
  MLflow scoring      POST /invocations, POST /models/NAME/invocations, GET /ping, /health,
                      /version
  Open Inference v2   GET /v2/health/live|ready, GET /v2/models/NAME[/ready],
                      POST /v2/models/NAME/infer
  feedback            POST /v1/feedback
                      {"model": M, "feedback": [{"prediction_id": ..., "label": ...}]}
  live metrics        GET /v1/models, GET /v1/models/NAME/monitor, GET /metrics (Prometheus)
  dashboard           GET / (the JSON it reads: GET /v1/overview, /v1/registry/models[/NAME],
                      /v1/runs, ...)

  --model NAME                      serve only this model (/invocations then needs no model name)
  --host ADDR                       address to bind (NIGHTSHIFT_SERVE_HOST, default 127.0.0.1); any
                                    address but loopback needs NIGHTSHIFT_SERVE_TOKEN
  --port PORT                       port (NIGHTSHIFT_SERVE_PORT, default 8080; 0 picks a free one)
  --no-log-text                     keep texts out of the prediction log (only their sha256); such
                                    predictions cannot become training examples through feedback
  --retention DAYS                  delete logged predictions older than this (default 30; 12h
                                    also works)
  --require-token-for-predictions   predictions need "Authorization: Bearer <token>" too
                                    (feedback always does when NIGHTSHIFT_SERVE_TOKEN is set; off
                                    loopback, predictions need it by default)
  --public-predictions              off loopback, serve predictions without the token
  --allowed-host NAMES              Host header names accepted besides localhost, 127.0.0.1 and
                                    [::1], comma-separated (NIGHTSHIFT_SERVE_ALLOWED_HOSTS); other
                                    names are refused with 403 (DNS rebinding)
  --body-limit BYTES                largest request body, 413 past it (default ${DEFAULT_SERVE_OPTIONS.bodyLimit})
  --max-batch N                     most texts in one request (default ${DEFAULT_SERVE_OPTIONS.maxBatch})
  --poll-interval MS                registry poll, the fallback for missed notifications
                                    (default ${DEFAULT_SERVE_OPTIONS.pollMs})

Examples:
  nightshift serve --port 9000
  NIGHTSHIFT_SERVE_TOKEN=secret nightshift serve --host 0.0.0.0 --model spam --no-log-text`;
