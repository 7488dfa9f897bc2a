# SPDX-License-Identifier: GPL-2.0-only
# Sourced by host tests: result STATUS DESCRIPTION prints one numbered TAP
# line, "ok" for status 0; $n counts them and $failed turns 1 on a failure.
n=0
failed=0
result()
{
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
	fi
}
