#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xrelay-agent reads a long list of sessions with several threads, each
# from a guessed element start (read_sessions() in desired.c), and must
# read it exactly as one walk from the list's start would. Documents of
# 16000 sessions (2.5 MB), with errors planted around the middle of the
# list where the second thread starts, at the beginning and at the end,
# in text that looks like element starts inside strings and nested lists,
# in a delta's sessions_upsert and after the sessions: each
# message must name the element and the byte the sequential walk stops
# at. Like test-agent-usage.sh, it never reaches a kernel.
# Set AGENT to test another binary.

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
agent=${AGENT:-$repo/tools/xrelay-agent/xrelay-agent}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ -d /sys/module/xrelay ]; then
	echo "1..0 # SKIP the xrelay module is loaded here: the agent would change its state"
	exit 0
fi

# Writes $tmp/N.json and, per line of $tmp/cases, N<TAB>exit<TAB>stderr text<TAB>description.
python3 - "$tmp" <<'EOF' || { echo "1..0 # SKIP cannot generate the documents"; exit 0; }
import json, sys

tmp = sys.argv[1]
N = 16000
REFUSED = "state refused, the kernel keeps the last one applied: "
cases = []

def session(i, decoy):
	s = {"name": "s%d" % i, "instance": 1 + i % 4, "network": 10, "idle_timeout": 600,
	     "a": {"port": 1024 + i, "relearn_timeout": 30}, "b": {"port": 40000 + i}}
	if decoy:
		# What a thread guessing "},{" as an element start could be fooled by.
		s["extra"] = [{"x": 1}, {"y": [{}, {"z": "},{"}]}]
		s["note"] = '},{"name":"n%d","instance":1}' % i
	return s

def document(kind="sessions", decoy=False, after=""):
	head = {"generation": 2, "relay": "r1"}
	if kind == "sessions":
		head["instances"] = [{"id": k, "network": 10, "addr": "192.0.2.%d" % k,
				      "port_min": 1024, "port_max": 65535} for k in range(1, 5)]
	else:
		head["base"] = 1
		head["sessions_remove"] = []
	text = json.dumps(head, separators=(",", ":"))[:-1] + ',"%s":[' % kind
	starts = []
	for i in range(N):
		starts.append(len(text) + (1 if i else 0))
		text += ("," if i else "") + json.dumps(session(i, decoy), separators=(",", ":"))
	return text + "]" + after + "}", starts

def middle(starts):
	"""The element holding the byte halfway through the list's text."""
	half = starts[0] + (starts[-1] - starts[0]) // 2
	return max(i for i in range(N) if starts[i] <= half)

def port_zero(text, starts, i):
	"""Element i's first port made 0: refused once the number is read."""
	at = text.index('"port":', starts[i]) + len('"port":')
	end = at + len(str(1024 + i))
	return text[:at] + "0" + text[end:], at + 1

def add(text, rc, want, desc):
	n = len(cases)
	with open("%s/%d.json" % (tmp, n), "w") as f:
		f.write(text)
	cases.append("%d\t%d\t%s\t%s" % (n, rc, want, desc))

for decoy in (False, True):
	text, starts = document(decoy=decoy)
	m = middle(starts)
	what = "with decoys in strings and nested lists" if decoy else "of plain sessions"
	add(text, 1, "the xrelay module is not loaded", "a long list %s is accepted" % what)
	for i, where in ((3, "near the start"), (m - 1, "just before the middle"),
			 (m, "at the middle"), (m + 1, "just after the middle"),
			 (N * 3 // 4, "at three quarters"), (N - 1, "in the last element")):
		bad, at = port_zero(text, starts, i)
		add(bad, 1, "%ssessions[%d]: integer out of range at byte %d" % (REFUSED, i, at),
		    "a list %s, error %s: sessions[%d] named" % (what, where, i))

text, starts = document()
m = middle(starts)
add(text[:starts[m] - 1] + text[starts[m]:], 1,
    "%sexpected ',' or ']' at byte %d" % (REFUSED, starts[m] - 1),
    "a comma missing at the middle of the list: its byte named")
text, starts = document(after=',"policies":[{"name":"p","max_sessions":"x"}]')
add(text, 1, "%spolicies[0]: expected a non-negative integer at byte %d" %
    (REFUSED, text.index('"x"')), "an error in a list after a long one: that list named")
text, starts = document(after=',"generation":3')
add(text, 1, "%s'generation' appears twice at byte %d" %
    (REFUSED, text.index(',"generation":3') + len(',"generation":')),
    "an error after a long list, outside any list: no list named")
text, starts = document(kind="sessions_upsert")
m = middle(starts)
add(text, 1, "delta state refused, the full state is needed", "a long delta is accepted")
bad, at = port_zero(text, starts, m + 1)
add(bad, 1, "%ssessions_upsert[%d]: integer out of range at byte %d" % (REFUSED, m + 1, at),
    "a long delta, error just after the middle: sessions_upsert[%d] named" % (m + 1))

with open(tmp + "/cases", "w") as f:
	f.write("\n".join(cases) + "\n")
EOF

echo "TAP version 13"
echo "1..$(wc -l < "$tmp/cases")"
echo "# $(nproc) CPUs: the list is read by up to $(($(nproc) < 4 ? $(nproc) : 4)) threads"
n=0
failed=0
while IFS=$'\t' read -r i want_rc want desc; do
	n=$((n + 1))
	"$agent" --once --state-file "$tmp/$i.json" > /dev/null 2> "$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && grep -qF -- "$want" "$tmp/err"; then
		echo "ok $n $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n $desc"
		echo "# expected exit $want_rc and stderr with: $want"
		echo "# got exit $rc: $(cat "$tmp/err")"
	fi
done < "$tmp/cases"

[ "$failed" -eq 0 ]
