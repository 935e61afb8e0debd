/** `nightshift data --help`. */
export const DATA_HELP = `Usage: nightshift data import --model NAME --file F.jsonl|- [--create] [--json]
       nightshift data next-batch [--model NAME] [--json]

import:      loads labelled JSONL ({"text": ..., "label": ...} a line; optional "id", "ts"; other
             fields kept as metadata) from a regular file, or standard input with --file -.
             Reports rows accepted, duplicates (same text already stored), each rejected line
             with its reason, and throughput (rows/s; "rowsPerSecond" in --json). Rows are
             COPYed in batches and deduplicated by the database; a bad line never stops the good
             ones. An import is one transaction: if it fails as a whole (say, a full disk)
             nothing is stored and it says so. Exits 1 when every line was rejected. The model
             must exist unless --create is given (it is then created in the import's
             transaction). Ctrl-C rolls the import back, says so and exits 130: no rows, and no
             model made by --create, are left behind.
next-batch:  releases the next batch of the SpamAssassin demo feed (ordered by Date header: the
             first batch is the older 3000 messages, each later one the next 500), so the next
             run sees newer mail arriving. Model defaults to spam.

Exit status: 0 done, 1 the operation failed, 2 usage error.

Examples:
  nightshift data import --model tickets --file tickets.jsonl --create
  zcat mail.jsonl.gz | nightshift data import --model spam --file - --json
  nightshift data next-batch`;
