#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The YAML spec is the netlink API's source of truth: the committed uapi
# header and kernel policy tables must be exactly what it generates, and the
# generator must notice when they are not.
set -u
cd "$(dirname "$0")/../.."

spec=Documentation/netlink/specs/xrelay.yaml
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

echo "TAP version 13"
echo "1..3"

python3 scripts/nlgen.py --check --spec "$spec" --uapi kmod/uapi/linux/xrelay.h --kernel-dir kmod
result $? "committed uapi header and policy tables match $spec"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp kmod/uapi/linux/xrelay.h kmod/netlink-gen.c kmod/netlink-gen.h "$tmp/"
mkdir -p "$tmp/uapi"
mv "$tmp/xrelay.h" "$tmp/uapi/"
sed '0,/exact-len: 16/s//exact-len: 15/' "$spec" > "$tmp/changed.yaml"
python3 scripts/nlgen.py --check --spec "$tmp/changed.yaml" --uapi "$tmp/uapi/xrelay.h" \
	--kernel-dir "$tmp" > "$tmp/diff" 2>&1
[ $? -ne 0 ] && grep -q 'NLA_POLICY_EXACT_LEN(15)' "$tmp/diff"
result $? "a changed spec is reported as out of step, with the difference"

# Every request attribute the kernel reads must be in that command's policy.
missing=0
for op in instance_new instance_del instance_get session_new session_del session_get \
	  session_flush netns_set; do
	grep -q "xrelay_${op}_nl_policy\\[" kmod/netlink-gen.c || { echo "# no policy for $op"; missing=1; }
	grep -q "xrelay_nl_${op}_doit" kmod/netlink.c || { echo "# no handler for $op"; missing=1; }
done
# A command without request attributes gets no policy, so genetlink rejects any.
grep -q 'xrelay_netns_get_nl_policy' kmod/netlink-gen.c && { echo "# netns-get has a policy"; missing=1; }
result $missing "every command has a generated strict policy (or none, rejecting all) and a handler"
exit $failed
