/** `nightshift demo --help`. */
export const DEMO_HELP = `Usage: nightshift demo traffic [--model spam] [--rate R] [--feedback-delay D] [--label-noise P]
                              [--limit N] [--duration D] [--seed N] [--url URL] [--json]

traffic: sends the SpamAssassin messages that the demo feed has not released to training (the
         newer mail, oldest first) to the running model server as prediction requests, one message
         a request, and their true labels as feedback after a delay: live metrics, the dashboard and
         the monitor then have something to watch. --label-noise P flips that share of the labels
         sent as feedback, so the live accuracy drops as if the model had decayed; with a monitor
         policy (nightshift monitor policy) the monitor then starts a retraining run.

  --model NAME        the demo model (default spam)
  --rate R            requests per second (default 5; at most 200)
  --feedback-delay D  how long after its prediction a label is sent: 5s (default), 500ms, 1m, 0
  --label-noise P     share of the feedback labels flipped, 0..1 (default 0)
  --limit N           send at most N messages (default 500; about 3,000 are unreleased at first)
  --duration D        stop sending after D (default 10m; at most 1h)
  --seed N            which labels get flipped (default 1)
  --url URL           the model server (default: the serveUrl of the running \`nightshift up\`,
                      which must be a loopback address; any other server only when named here)
  --json              print the summary as one JSON document on stdout

Progress goes to stderr every 2 s. Ctrl-C stops sending and sends the feedback owed at once.

Examples:
  nightshift demo traffic --rate 20 --limit 1000
  nightshift demo traffic --label-noise 0.4 --feedback-delay 1s   (watch the monitor react)`;
