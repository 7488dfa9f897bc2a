#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Generate xrelay's uapi header and kernel policy tables from its YAML netlink spec.

The spec in Documentation/netlink/specs/ is the source of truth: this writes the
attribute, command and enum numbers (uapi), one strict policy per operation and the
genl_ops table (kernel). Run with --check to fail when the committed files differ
from what the spec generates, with --schema DIR to validate the spec first against
upstream's schema for its protocol (DIR/genetlink-legacy.yaml, say).
"""
import argparse
import difflib
import os
import sys

import yaml

MARKER = "Do not edit directly, auto-generated from:"


def c_upper(name):
    return name.upper().replace("-", "_")


def c_lower(name):
    return name.lower().replace("-", "_")


class Spec:
    def __init__(self, path):
        self.path = path
        with open(path) as f:
            self.y = yaml.safe_load(f)
        self.name = self.y["name"]
        self.prefix = c_upper(self.name)
        self.consts = {}
        self.enums = []
        for d in self.y.get("definitions", []):
            if d["type"] == "const":
                self.consts[d["name"]] = d["value"]
            elif d["type"] == "enum":
                self.enums.append(d)
        self.sets = {s["name"]: s for s in self.y["attribute-sets"]}
        for s in self.sets.values():
            for value, attr in enumerate(s["attributes"], start=1):
                attr["value"] = value
        self.ops = self.y["operations"]["list"]
        for value, op in enumerate(self.ops, start=1):
            op["value"] = value
        self.mcgrps = self.y.get("mcast-groups", {}).get("list", [])
        self.ranges = {}

    def validate(self, schema_dir):
        """Errors of the spec against upstream's schema for its protocol, as text."""
        import jsonschema

        with open(os.path.join(schema_dir, self.y["protocol"] + ".yaml")) as f:
            schema = yaml.safe_load(f)
        validator = jsonschema.Draft7Validator(schema)
        return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
                for e in validator.iter_errors(self.y)]

    def unpadded_sets(self):
        """Attribute sets with u64 attributes but no pad attribute to align them."""
        return [s["name"] for s in self.sets.values()
                if any(a["type"] == "u64" for a in s["attributes"]) and
                not any(a["type"] == "pad" for a in s["attributes"])]

    def attr_enum(self, set_name, attr_name):
        return "%s_A_%s_%s" % (self.prefix, c_upper(set_name), c_upper(attr_name))

    def attr(self, set_name, attr_name):
        for a in self.sets[set_name]["attributes"]:
            if a["name"] == attr_name:
                return a
        sys.exit("%s: operation uses unknown attribute %s in set %s"
                 % (self.path, attr_name, set_name))

    def limit(self, value):
        if isinstance(value, int):
            return str(value)
        if value not in self.consts:
            sys.exit("%s: unknown constant %s in checks" % (self.path, value))
        return "%s_%s" % (self.prefix, c_upper(value))

    def enum(self, name):
        for e in self.enums:
            if e["name"] == name:
                return e
        sys.exit("%s: unknown enum %s" % (self.path, name))

    def value(self, v):
        return v if isinstance(v, int) else self.consts[v]

    def range_table(self, a, lo, hi):
        name = "%s_%s_range" % (c_lower(self.name), c_lower(a["name"]))
        t = a["type"]
        self.ranges[name] = (
            "static struct netlink_range_validation%s %s = {\n%s%s};\n\n" % (
                "_signed" if t.startswith("s") else "", name,
                "\t.min = %s,\n" % self.limit(lo) if lo is not None else "",
                "\t.max = %s,\n" % self.limit(hi) if hi is not None else "\t.max = U%s_MAX,\n" % t[1:]))
        return name

    def policy_entry(self, a):
        t = a["type"]
        checks = a.get("checks", {})
        be = a.get("byte-order") == "big-endian"
        if t in ("u8", "u16", "u32", "u64"):
            nla = "NLA_%s" % (("BE" + t[1:]) if be else t.upper())
            lo, hi = checks.get("min"), checks.get("max")
            if hi is None and "enum" in a:
                hi = len(self.enum(a["enum"])["entries"]) - 1
            if any(v is not None and not -32768 <= self.value(v) <= 32767 for v in (lo, hi)):
                # The policy's inline min/max are s16: wider ranges need a table.
                return "NLA_POLICY_FULL_RANGE(%s, &%s)" % (nla, self.range_table(a, lo, hi))
            if lo is not None and hi is not None:
                return "NLA_POLICY_RANGE(%s, %s, %s)" % (nla, self.limit(lo), self.limit(hi))
            if lo is not None:
                return "NLA_POLICY_MIN(%s, %s)" % (nla, self.limit(lo))
            if hi is not None:
                return "NLA_POLICY_MAX(%s, %s)" % (nla, self.limit(hi))
            return "{ .type = %s, }" % nla
        if t == "binary":
            if "exact-len" in checks:
                return "NLA_POLICY_EXACT_LEN(%s)" % self.limit(checks["exact-len"])
            if "max-len" in checks:
                return "{ .type = NLA_BINARY, .len = %s, }" % self.limit(checks["max-len"])
            return "{ .type = NLA_BINARY, }"
        if t == "string":
            if "max-len" in checks:
                return "{ .type = NLA_NUL_STRING, .len = %s, }" % self.limit(checks["max-len"])
            return "{ .type = NLA_NUL_STRING, }"
        if t == "flag":
            return "{ .type = NLA_FLAG, }"
        if t == "pad":
            return None
        if t == "nest":
            return "NLA_POLICY_NESTED(%s_%s_nl_policy)" % (
                c_lower(self.name), c_lower(a["nested-attributes"]))
        sys.exit("%s: attribute type %s is not supported" % (self.path, t))

    def request_attrs(self, op, mode):
        body = op.get(mode)
        if not body or "request" not in body:
            return []
        return body["request"].get("attributes", [])

    def nested_sets(self):
        """Sets used as nests by any request attribute, innermost first."""
        order = []

        def visit(set_name):
            for a in self.sets[set_name]["attributes"]:
                if a["type"] == "nest":
                    visit(a["nested-attributes"])
            if set_name not in order:
                order.append(set_name)

        for op in self.ops:
            for mode in ("do", "dump"):
                for name in self.request_attrs(op, mode):
                    a = self.attr(op["attribute-set"], name)
                    if a["type"] == "nest":
                        visit(a["nested-attributes"])
        return order

    def header(self, kind, source=False):
        """The file's first lines; a C source's SPDX line is a // comment, as checkpatch wants."""
        licence = ("(GPL-2.0-only WITH Linux-syscall-note) OR BSD-3-Clause"
                   if kind == "uapi" else "GPL-2.0-only")
        spdx = ("// SPDX-License-Identifier: %s\n" if source
                else "/* SPDX-License-Identifier: %s */\n") % licence
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        return (spdx + "/* %s */\n/*\t%s */\n/* YNL-GEN %s */\n\n"
                % (MARKER, os.path.relpath(os.path.abspath(self.path), root), kind))

    def uapi(self):
        p = self.prefix
        out = [self.header("uapi")]
        guard = "_UAPI_LINUX_%s_H" % p
        out.append("#ifndef %s\n#define %s\n\n" % (guard, guard))
        out.append('#define %s_FAMILY_NAME\t"%s"\n' % (p, self.name))
        out.append("#define %s_FAMILY_VERSION\t%d\n\n" % (p, self.y.get("version", 1)))
        for name, value in self.consts.items():
            out.append("#define %s_%s\t%s\n" % (p, c_upper(name), value))
        out.append("\n")
        for e in self.enums:
            out.append("enum %s_%s {\n" % (c_lower(self.name), c_lower(e["name"])))
            for i, entry in enumerate(e["entries"]):
                ename = entry["name"] if isinstance(entry, dict) else entry
                out.append("\t%s_%s_%s%s,\n" % (p, c_upper(e["name"]), c_upper(ename),
                                                " = 0" if i == 0 else ""))
            out.append("\n\t/* private: */\n\t__%s_%s_MAX,\n" % (p, c_upper(e["name"])))
            out.append("\t%s_%s_MAX = (__%s_%s_MAX - 1)\n};\n\n" % (
                p, c_upper(e["name"]), p, c_upper(e["name"])))
        for s in self.sets.values():
            sn = c_upper(s["name"])
            out.append("enum {\n")
            for a in s["attributes"]:
                out.append("\t%s%s,\n" % (self.attr_enum(s["name"], a["name"]),
                                          " = 1" if a["value"] == 1 else ""))
            out.append("\n\t__%s_A_%s_MAX,\n" % (p, sn))
            out.append("\t%s_A_%s_MAX = (__%s_A_%s_MAX - 1)\n};\n\n" % (p, sn, p, sn))
        out.append("enum {\n")
        for op in self.ops:
            out.append("\t%s_CMD_%s%s,\n" % (p, c_upper(op["name"]),
                                             " = 1" if op["value"] == 1 else ""))
        out.append("\n\t__%s_CMD_MAX,\n\t%s_CMD_MAX = (__%s_CMD_MAX - 1)\n};\n\n" % (p, p, p))
        for g in self.mcgrps:
            out.append('#define %s_MCGRP_%s\t"%s"\n' % (p, c_upper(g["name"]), g["name"]))
        out.append("\n#endif /* %s */\n" % guard)
        return "".join(out)

    def op_policy_name(self, op):
        return "%s_%s_nl_policy" % (c_lower(self.name), c_lower(op["name"]))

    def op_max_attr(self, op):
        names = set(self.request_attrs(op, "do")) | set(self.request_attrs(op, "dump"))
        return max((self.attr(op["attribute-set"], n)["value"] for n in names), default=0)

    def request_ops(self):
        return [op for op in self.ops if "do" in op or "dump" in op]

    def dump_ops(self):
        return [op for op in self.ops if "dump" in op]

    def dump_start(self, op):
        """A dump's start: refuses the request attributes only its do takes.

        Kernel 6.1 has one policy per command, so a dump's policy lets the do's
        attributes through; the dump would silently ignore them.
        """
        lo = c_lower(self.name)
        dump = self.request_attrs(op, "dump")
        refused = [n for n in self.request_attrs(op, "do") if n not in dump]
        table = "%s_%s_dump_refused" % (lo, c_lower(op["name"]))
        out = []
        if refused:
            attrs = sorted((self.attr(op["attribute-set"], n) for n in refused),
                           key=lambda a: a["value"])
            out.append("/* %s_CMD_%s - dump: what only the do takes */\n" % (
                self.prefix, c_upper(op["name"])))
            out.append("static const char * const %s[%s + 1] = {\n" % (
                table, self.attr_enum(op["attribute-set"], attrs[-1]["name"])))
            takes = ", ".join(dump) or "no attribute"
            for a in attrs:
                out.append('\t[%s] = KBUILD_MODNAME ": %s dump does not take %s; it takes %s",\n'
                           % (self.attr_enum(op["attribute-set"], a["name"]), op["name"],
                              a["name"], takes))
            out.append("};\n\n")
        out.append("static int %s_nl_%s_start(struct netlink_callback *cb)\n{\n" % (
            lo, c_lower(op["name"])))
        if refused:
            out.append("\treturn %s_nl_dump_start(cb, %s,\n\t\t\t\t    ARRAY_SIZE(%s));\n}\n\n"
                       % (lo, table, table))
        else:
            out.append("\treturn %s_nl_dump_start(cb, NULL, 0);\n}\n\n" % lo)
        return out

    def kernel_h(self):
        lo = c_lower(self.name)
        guard = "_LINUX_%s_GEN_H" % self.prefix
        out = [self.header("kernel")]
        out.append("#ifndef %s\n#define %s\n\n" % (guard, guard))
        out.append("#include <net/netlink.h>\n#include <net/genetlink.h>\n\n")
        out.append("#include \"uapi/linux/%s.h\"\n\n" % lo)
        for s in self.nested_sets():
            out.append("extern const struct nla_policy %s_%s_nl_policy[%s_A_%s_MAX + 1];\n"
                       % (lo, c_lower(s), self.prefix, c_upper(s)))
        out.append("\n")
        for op in self.request_ops():
            fn = "%s_nl_%s" % (lo, c_lower(op["name"]))
            if "do" in op:
                out.append("int %s_doit(struct sk_buff *skb, struct genl_info *info);\n" % fn)
            if "dump" in op:
                out.append("int %s_dumpit(struct sk_buff *skb, struct netlink_callback *cb);\n" % fn)
        if self.dump_ops():
            out.append("\nint %s_nl_dump_start(struct netlink_callback *cb, "
                       "const char * const *refused,\n\t\t\t unsigned int n_refused);\n"
                       % lo)
        n_ops = len(self.request_ops())
        out.append("\nextern const struct genl_ops %s_nl_ops[%d];\n" % (lo, n_ops))
        out.append("extern const struct genl_multicast_group %s_nl_mcgrps[%d];\n\n" % (lo, len(self.mcgrps)))
        for i, g in enumerate(self.mcgrps):
            out.append("#define %s_NLGRP_%s\t%d\n" % (self.prefix, c_upper(g["name"]), i))
        out.append("\n#endif /* %s */\n" % guard)
        return "".join(out)

    def kernel_c(self):
        lo = c_lower(self.name)
        out = [self.header("kernel", source=True)]
        out.append("#include <net/netlink.h>\n#include <net/genetlink.h>\n\n")
        out.append("#include \"netlink-gen.h\"\n\n")
        body = []
        for s in self.nested_sets():
            body.append("/* Common nested types */\n" if s == self.nested_sets()[0] else "")
            body.append("const struct nla_policy %s_%s_nl_policy[%s_A_%s_MAX + 1] = {\n"
                       % (lo, c_lower(s), self.prefix, c_upper(s)))
            for a in self.sets[s]["attributes"]:
                # A pad attribute gets no entry: strict validation refuses it.
                if a["type"] != "pad":
                    body.append("\t[%s] = %s,\n" % (self.attr_enum(s, a["name"]),
                                                     self.policy_entry(a)))
            body.append("};\n\n")
        for op in self.request_ops():
            if not self.op_max_attr(op):
                # No policy: genetlink then rejects every attribute.
                continue
            names = list(dict.fromkeys(self.request_attrs(op, "do") + self.request_attrs(op, "dump")))
            body.append("/* %s - %s */\n" % (
                self.prefix + "_CMD_" + c_upper(op["name"]), "/".join(m for m in ("do", "dump") if m in op)))
            body.append("static const struct nla_policy %s[%d] = {\n" % (
                self.op_policy_name(op), self.op_max_attr(op) + 1))
            attrs = sorted((self.attr(op["attribute-set"], n) for n in names), key=lambda a: a["value"])
            for a in attrs:
                body.append("\t[%s] = %s,\n" % (self.attr_enum(op["attribute-set"], a["name"]),
                                               self.policy_entry(a)))
            body.append("};\n\n")
        for op in self.dump_ops():
            body.extend(self.dump_start(op))
        if self.ranges:
            out.append("/* Integer value ranges */\n")
            out.extend(self.ranges[k] for k in sorted(self.ranges))
        out.extend(body)
        out.append("/* Ops table for %s */\n" % lo)
        out.append("const struct genl_ops %s_nl_ops[%d] = {\n" % (lo, len(self.request_ops())))
        for op in self.request_ops():
            fn = "%s_nl_%s" % (lo, c_lower(op["name"]))
            flags = " | ".join("GENL_" + c_upper(f) for f in op.get("flags", [])) or "0"
            out.append("\t{\n\t\t.cmd\t\t= %s_CMD_%s,\n" % (self.prefix, c_upper(op["name"])))
            if "do" in op:
                out.append("\t\t.doit\t\t= %s_doit,\n" % fn)
            if "dump" in op:
                out.append("\t\t.start\t\t= %s_start,\n" % fn)
                out.append("\t\t.dumpit\t\t= %s_dumpit,\n" % fn)
            if self.op_max_attr(op):
                out.append("\t\t.policy\t\t= %s,\n" % self.op_policy_name(op))
                out.append("\t\t.maxattr\t= %d,\n" % self.op_max_attr(op))
            out.append("\t\t.flags\t\t= %s,\n\t},\n" % flags)
        out.append("};\n\n")
        out.append("const struct genl_multicast_group %s_nl_mcgrps[%d] = {\n" % (lo, len(self.mcgrps)))
        for g in self.mcgrps:
            flags = " | ".join({"uns-admin-perm": "GENL_MCAST_CAP_NET_ADMIN",
                                "admin-perm": "GENL_MCAST_CAP_SYS_ADMIN"}[f]
                               for f in g.get("flags", [])) or "0"
            out.append("\t[%s_NLGRP_%s] = { .name = %s_MCGRP_%s, .flags = %s, },\n" % (
                self.prefix, c_upper(g["name"]), self.prefix, c_upper(g["name"]), flags))
        out.append("};\n")
        return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--uapi", required=True, help="uapi header to write")
    ap.add_argument("--kernel-dir", required=True, help="directory for netlink-gen.[ch]")
    ap.add_argument("--check", action="store_true",
                    help="compare with the files on disk instead of writing them")
    ap.add_argument("--schema", metavar="DIR",
                    help="validate the spec against the schemas in DIR first")
    args = ap.parse_args()
    spec = Spec(args.spec)
    if args.schema:
        errors = spec.validate(args.schema)
        for e in errors:
            print("%s: %s" % (args.spec, e), file=sys.stderr)
        if errors:
            return 1
    unpadded = spec.unpadded_sets()
    if unpadded:
        # The kernel writes u64s with nla_put_u64_64bit(), which needs one.
        sys.exit("%s: sets with u64 attributes and no pad attribute: %s"
                 % (args.spec, ", ".join(unpadded)))
    outputs = {
        args.uapi: spec.uapi(),
        os.path.join(args.kernel_dir, "netlink-gen.h"): spec.kernel_h(),
        os.path.join(args.kernel_dir, "netlink-gen.c"): spec.kernel_c(),
    }
    stale = 0
    for path, text in outputs.items():
        if args.check:
            old = open(path).read() if os.path.exists(path) else ""
            if old != text:
                stale += 1
                sys.stdout.writelines(difflib.unified_diff(
                    old.splitlines(True), text.splitlines(True), path, path + " (from spec)"))
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("%d generated file(s) out of step with %s; run make generate" % (stale, args.spec),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
