#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs every ctl-server test and numbers their "ok"/"not ok" lines into
# one TAP stream. Exits non-zero if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${BUILD:?}" "${CTLD:?}"
export BUILD CTLD
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Each part prints unnumbered "ok DESC" / "not ok DESC" lines.
part() { # NAME COMMAND...
	name=$1
	shift
	"$@" > "$out.part" 2>&1
	rc=$?
	cat "$out.part" >> "$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$out.part"; then
		echo "not ok $name exited with status $rc" >> "$out"
		sed 's/^/# /' "$out.part" | tail -20 >> "$out"
	fi
	rm -f "$out.part"
}

invalid_corpus() {
	for yaml in "$here"/invalid/*.yaml; do
		name=$(basename "$yaml" .yaml)
		got=$(cd "$here/invalid" && "$CTLD" check "$name.yaml")
		rc=$?
		if [ $rc -eq 1 ] && [ "$got" = "$(cat "$here/invalid/$name.expected")" ]; then
			echo "ok invalid/$name: refused with the expected messages"
		else
			echo "not ok invalid/$name: exit $rc, got:"
			echo "$got" | sed 's/^/# /'
		fi
	done
	got=$("$CTLD" check "$here/../examples")
	rc=$?
	[ $rc -eq 0 ] && echo "ok examples: check accepts the example configuration" ||
		{ echo "not ok examples: check refused the example configuration"; echo "$got" | sed 's/^/# /'; }
}

fuzz() {
	corpus=$(mktemp -d)
	cp "$here"/invalid/*.yaml "$here"/../examples/*.yaml "$corpus"/
	if "$BUILD/fuzz_config" -max_total_time="$FUZZ_SECONDS" -timeout=60 -rss_limit_mb=1024 \
		-max_len=4096 -print_final_stats=1 "$corpus" > "$corpus.log" 2>&1; then
		echo "ok fuzz: YAML loader survived $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$corpus.log" | grep -o '[0-9]*$') inputs in ${FUZZ_SECONDS}s"
	else
		echo "not ok fuzz: the YAML loader crashed"
		grep -A20 'ERROR' "$corpus.log" | sed 's/^/# /' | head -30
		cp "$corpus.log" "$BUILD/fuzz-failure.log"
	fi
	rm -rf "$corpus" "$corpus.log"
}

for t in test_netaddr test_hashmap test_config test_state test_alloc; do
	part "$t" "$BUILD/$t" "$here/../examples"
done
part invalid invalid_corpus
part fuzz fuzz
part integration "$here/integration.sh"
part flood "$here/flood.sh"

awk '
	/^(not )?ok / {
		n++
		if ($1 == "not") { sub(/^not ok /, ""); print "not ok " n " " $0; fail++ }
		else { sub(/^ok /, ""); print "ok " n " " $0 }
		next
	}
	/^#/ { print; next }
	{ print "# " $0 }
	END {
		print "1.." n
		printf "# ctl-server: %d passed, %d failed\n", n - fail, fail
		exit fail ? 1 : 0
	}' "$out"
