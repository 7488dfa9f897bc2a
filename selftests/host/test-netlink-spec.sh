#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The YAML spec is the netlink API's source of truth: the committed uapi
# header and kernel policy tables must be exactly what it generates, and the
# generator must notice when they are not. The spec must be valid by
# upstream's schema for its protocol, as ynl checks it, and every u64 must
# be written with its set's pad attribute.
set -u
cd "$(dirname "$0")/../.."

spec=Documentation/netlink/specs/xrelay.yaml
source selftests/host/tap.sh

echo "TAP version 13"
echo "1..6"

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

# Upstream's schemas come from Debian's linux-doc (bookworm-backports), cached
# outside the checkout; see scripts/netlink-schemas.sh.
if schemas=$(scripts/netlink-schemas.sh 2>"$tmp/schemas.log"); then
	python3 scripts/nlgen.py --check --schema "$schemas" --spec "$spec" \
		--uapi kmod/uapi/linux/xrelay.h --kernel-dir kmod
	result $? "$spec is valid by upstream's $(sed -n 's/^protocol: //p' "$spec") schema"
else
	sed 's/^/# /' "$tmp/schemas.log"
	result 1 "upstream's netlink schemas could not be fetched"
fi

# A set whose u64s have no pad attribute is refused by the generator.
python3 -c '
import sys, yaml
y = yaml.safe_load(open(sys.argv[1]))
for s in y["attribute-sets"]:
    if s["name"] == "stats":
        s["attributes"] = [a for a in s["attributes"] if a["type"] != "pad"]
yaml.safe_dump(y, open(sys.argv[2], "w"), sort_keys=False)
' "$spec" "$tmp/unpadded.yaml"
python3 scripts/nlgen.py --check --spec "$tmp/unpadded.yaml" --uapi kmod/uapi/linux/xrelay.h \
	--kernel-dir kmod > /dev/null 2> "$tmp/unpadded.log"
[ $? -ne 0 ] && grep -q 'no pad attribute: stats' "$tmp/unpadded.log"
result $? "the generator refuses a set with u64 attributes and no pad attribute"

# Each nla_put_u64_64bit() names a pad attribute, its own set's when both are named.
python3 - kmod/*.c <<'EOF'
import re, sys
bad = 0
for path in sys.argv[1:]:
    src = open(path).read()
    for m in re.finditer(r"nla_put_u64_64bit\(", src):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(src[i], 0)
            i += 1
        args = [a.strip() for a in re.split(r",(?![^()]*\))", src[m.end():i - 1])]
        attr, pad = args[1], args[-1]
        own = re.match(r"XRELAY_A_(\w+)_PAD$", pad)
        line = src.count("\n", 0, m.start()) + 1
        if pad == "0" or (own and attr.startswith("XRELAY_A_") and
                          not attr.startswith("XRELAY_A_%s_" % own.group(1))):
            print("# %s:%d: %s written with pad %s" % (path, line, attr, pad))
            bad = 1
sys.exit(bad)
EOF
result $? "every u64 the kernel writes names its set's pad attribute"
exit $failed
