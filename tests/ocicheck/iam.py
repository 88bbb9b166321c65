#!/usr/bin/env python3
"""Offline checks of the IAM that genops generates, which `terraform validate` cannot see.

usage: python3 tests/ocicheck/iam.py OUT...   (OUT: a `genops build` output directory)

Reads OUT/terraform/*.tf (genops's canonical HCL) and OUT/gateway/litellm/config.yaml and checks:

  syntax     every policy statement is `Allow <subject> to <verb> <resource-type> in <location>
             [where <conditions>]`, with a verb of inspect/read/use/manage, a resource type OCI
             knows, a location of `tenancy` or `compartment id …`, and conditions of known
             variables with balanced braces
             (https://docs.oracle.com/en-us/iaas/Content/Identity/policysyntax/policy-syntax.htm)
  subjects   every group a statement names is a group the Terraform creates
  gateway    the principal the LiteLLM config signs with (OCI_USER: an API-key user) is a member
             of a group that may `use` each Generative AI resource type the config calls
  secrets    no grant on secret bundles without `target.secret.id`: each principal reads only
             the secrets it needs
  lifecycle  a bucket with a lifecycle policy has Object Storage's `manage object-family` grant
             (https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usinglifecyclepolicies.htm)
  keys       a bucket with a customer-managed key has Object Storage's `use keys` grant
  retention  a bucket with a retention rule is not versioned
             (https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingretentionrules.htm)
  connectors a service connector writing to a bucket has the `serviceconnector` grant on it
             (https://docs.oracle.com/en-us/iaas/Content/connector-hub/overview.htm)

Prints one line per problem, then `iam: N dirs, M statements, K problems`; exits 1 on a problem.
Only the standard library: it runs wherever the validators of .ci/run run.
"""
import os
import re
import sys

VERBS = {"inspect", "read", "use", "manage"}

# Resource types (individual and family) of the services genops grants on.
RESOURCE_TYPES = {
    # Generative AI (https://docs.oracle.com/en-us/iaas/Content/generative-ai/iam-policies.htm)
    "generative-ai-family", "generative-ai-chat", "generative-ai-text-embedding",
    "generative-ai-text-rerank", "generative-ai-model", "generative-ai-dedicated-ai-cluster",
    "generative-ai-endpoint", "generative-ai-work-request",
    # Object Storage
    "object-family", "objectstorage-namespaces", "buckets", "objects",
    # Vault
    "vaults", "keys", "key-delegate", "secret-family", "secrets", "secret-bundles",
    # Logging, Monitoring, Notifications, Connector Hub
    "logging-family", "log-groups", "log-content", "unified-configuration",
    "metrics", "alarms", "ons-topics", "ons-subscriptions", "serviceconnectors",
    "all-resources",
}

# Policy variables genops's conditions may use.
VARIABLES = {
    "target.bucket.name", "target.key.id", "target.secret.id", "target.secret.name",
    "target.metrics.namespace", "target.compartment.id", "target.loggroup.id",
    "request.permission", "request.operation", "request.principal.type",
    "request.principal.id", "request.principal.compartment.id", "request.user.id",
}

GENAI_CHAT = "generative-ai-chat"
GENAI_EMBEDDING = "generative-ai-text-embedding"


def hcl_strings(text):
    """The string literals of a piece of HCL, unescaped, `${…}` kept as written."""
    out, i = [], 0
    while i < len(text):
        if text[i] != '"':
            i += 1
            continue
        i += 1
        value, depth = [], 0
        while i < len(text):
            c = text[i]
            if c == "\\" and depth == 0:
                nxt = text[i + 1]
                value.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, nxt))
                i += 2
                continue
            if text.startswith("$${", i) or text.startswith("%%{", i):
                value.append(text[i + 1:i + 3])
                i += 3
                continue
            if text.startswith("${", i) or text.startswith("%{", i):
                depth += 1
                value.append(text[i:i + 2])
                i += 2
                continue
            if c == "}" and depth > 0:
                depth -= 1
            elif c == '"' and depth == 0:
                break
            value.append(c)
            i += 1
        out.append("".join(value))
        i += 1
    return out


def blocks(text):
    """Top-level blocks of canonical HCL: (kind, labels, body text)."""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r'^(resource|data|output|variable|locals)((?: "[^"]*")*) \{$', lines[i])
        if m:
            labels = re.findall(r'"([^"]*)"', m.group(2))
            j = i + 1
            while j < len(lines) and lines[j] != "}":
                j += 1
            out.append((m.group(1), labels, "\n".join(lines[i + 1:j])))
            i = j
        i += 1
    return out


def attr(body, key, indent=2):
    """The text of a one-line or bracketed attribute at this indentation, or None."""
    pad = " " * indent
    m = re.search(r"^" + pad + re.escape(key) + r" += (.*)$", body, re.M)
    if not m:
        return None
    value = m.group(1)
    if value in ("[", "{"):
        close = pad + ("]" if value == "[" else "}")
        rest = body[m.end():]
        end = rest.find("\n" + close)
        return value + rest[:end] + "\n" + close.strip()
    return value


def nested(body, name):
    """Bodies of the nested blocks `name { … }` at any depth (canonical indentation)."""
    out = []
    for m in re.finditer(r"^( +)" + re.escape(name) + r" \{$", body, re.M):
        pad = m.group(1)
        rest = body[m.end():]
        end = rest.find("\n" + pad + "}")
        out.append(rest[:end])
    return out


def string_value(value):
    strings = hcl_strings(value or "")
    return strings[0] if strings else None


STATEMENT = re.compile(
    r"^Allow (?P<subject>group (?P<group>\S+)|dynamic-group (?P<dgroup>\S+)|service (?P<service>\S+)|any-user|any-group)"
    r" to (?P<verb>\S+) (?P<rtype>\S+) in (?P<location>tenancy|compartment id \S+|compartment \S+)"
    r"(?: where (?P<where>.+))?$"
)
CONDITION = re.compile(r"^(?P<var>[a-z][a-z0-9.\-_]*) *(?:=|!=) *'[^']*'$")


def conditions(where, problems, where_from):
    """The atomic conditions of a where clause: `all {…}`, `any {…}`, `var = 'value'`."""
    # Terraform interpolations become values (OCIDs) at apply time.
    where = re.sub(r"\$\{[^}]*\}", "ocid", where)
    depth = 0
    for c in where:
        depth += c == "{"
        depth -= c == "}"
        if depth < 0:
            break
    if depth != 0:
        problems.append(f"{where_from}: unbalanced braces in the where clause")
        return []
    atoms = re.split(r"[,{}]", re.sub(r"\b(all|any) *\{", "{", where))
    out = []
    for atom in (a.strip() for a in atoms):
        if not atom:
            continue
        m = CONDITION.match(atom)
        if not m:
            problems.append(f"{where_from}: condition `{atom}` is not `variable = 'value'`")
        elif m.group("var") not in VARIABLES:
            problems.append(f"{where_from}: unknown policy variable `{m.group('var')}`")
        else:
            out.append(atom)
    return out


def check(out_dir):
    problems = []
    tf_dir = os.path.join(out_dir, "terraform")
    if not os.path.isdir(tf_dir):
        return [f"{out_dir}: no terraform/ directory"], 0
    resources = {}
    for name in sorted(os.listdir(tf_dir)):
        if name.endswith(".tf"):
            with open(os.path.join(tf_dir, name), encoding="utf-8") as f:
                for kind, labels, body in blocks(f.read()):
                    if kind == "resource" and len(labels) == 2:
                        resources[(labels[0], labels[1])] = (name, body)

    def of_type(rtype):
        return [(n, f, b) for (t, n), (f, b) in sorted(resources.items()) if t == rtype]

    groups = {string_value(attr(b, "name")): n for n, _, b in of_type("oci_identity_group")}
    dgroups = {string_value(attr(b, "name")) for _, _, b in of_type("oci_identity_dynamic_group")}

    # Every statement, parsed.
    grants = []  # (subject kind, subject, verb, resource type, conditions, where from)
    count = 0
    for name, file, body in of_type("oci_identity_policy"):
        for statement in hcl_strings(attr(body, "statements") or ""):
            count += 1
            where_from = f"{file}: oci_identity_policy.{name}: `{statement}`"
            m = STATEMENT.match(statement)
            if not m:
                problems.append(f"{where_from}: not `Allow <subject> to <verb> <resource-type> in <location> [where …]`")
                continue
            if m.group("verb") not in VERBS:
                problems.append(f"{where_from}: verb `{m.group('verb')}` is none of inspect, read, use, manage")
            if m.group("rtype") not in RESOURCE_TYPES:
                problems.append(f"{where_from}: unknown resource type `{m.group('rtype')}`")
            if m.group("group") and m.group("group") not in groups:
                problems.append(f"{where_from}: group `{m.group('group')}` is not created here (oci_identity_group)")
            if m.group("dgroup") and m.group("dgroup") not in dgroups:
                problems.append(f"{where_from}: dynamic group `{m.group('dgroup')}` is not created here")
            conds = conditions(m.group("where"), problems, where_from) if m.group("where") else []
            if m.group("rtype") in ("secret-bundles", "secret-family", "secrets") and not any(
                c.startswith("target.secret.id") for c in conds
            ):
                problems.append(f"{where_from}: secrets granted without `target.secret.id`: every secret of the location")
            subject = m.group("group") or m.group("dgroup") or m.group("service") or m.group("subject")
            grants.append((m.group("subject").split(" ")[0], subject, m.group("verb"), m.group("rtype"), conds, statement))

    def granted(kind, subject, verbs, rtypes, condition=None):
        return any(
            k == kind and s == subject and v in verbs and r in rtypes
            and (condition is None or any(condition(c) for c in conds))
            for k, s, v, r, conds, _ in grants
        )

    # The gateway's principal: the API-key user of the LiteLLM config.
    config = os.path.join(out_dir, "gateway", "litellm", "config.yaml")
    if os.path.exists(config):
        with open(config, encoding="utf-8") as f:
            text = f.read()
        calls = set()
        for model in re.findall(r'^\s+model: "?oci/([^"\s]+)', text, re.M):
            calls.add(GENAI_EMBEDDING if "embed" in model else GENAI_CHAT)
        if calls:
            if "os.environ/OCI_USER" not in text:
                problems.append(f"{config}: OCI models without OCI_USER: the principal the gateway signs as is unknown")
            members = [
                b for _, _, b in of_type("oci_identity_user_group_membership")
                if (attr(b, "user_id") or "").strip() == "var.llm_gateway_user_ocid"
            ]
            if not members:
                problems.append(f"{out_dir}: the gateway's OCI user (var.llm_gateway_user_ocid) joins no group")
            for b in members:
                ref = (attr(b, "group_id") or "").strip()
                m = re.fullmatch(r"oci_identity_group\.(\w+)\.id", ref)
                group = next((g for g, n in groups.items() if m and n == m.group(1)), None)
                if group is None:
                    problems.append(f"{out_dir}: the gateway's membership names no group created here: `{ref}`")
                    continue
                for rtype in sorted(calls):
                    if not granted("group", group, {"use", "manage"}, {rtype, "generative-ai-family"}):
                        problems.append(f"{out_dir}: the gateway's group `{group}` may not `use {rtype}`, which the LiteLLM config calls")

    # Object Storage: lifecycle rules, keys, retention, service connectors.
    def objectstorage(verbs, rtypes, condition=None):
        return any(
            k == "service" and s.startswith("objectstorage-") and v in verbs and r in rtypes
            and (condition is None or any(condition(c) for c in conds))
            for k, s, v, r, conds, _ in grants
        )

    buckets = {}
    for name, file, body in of_type("oci_objectstorage_bucket"):
        buckets[name] = string_value(attr(body, "name"))
        if attr(body, "kms_key_id") and not objectstorage({"use", "manage"}, {"keys"}):
            problems.append(f"{file}: bucket {name} uses a customer-managed key, but Object Storage may not `use keys`")
        if nested(body, "retention_rules") and string_value(attr(body, "versioning")) == "Enabled":
            problems.append(f"{file}: bucket {name} has a retention rule and versioning enabled, which Object Storage refuses")
    for name, file, _ in of_type("oci_objectstorage_object_lifecycle_policy"):
        if not objectstorage({"manage"}, {"object-family"}):
            problems.append(
                f"{file}: lifecycle policy {name} without `Allow service objectstorage-<region> to manage object-family`"
            )
    for name, file, body in of_type("oci_sch_service_connector"):
        for target in nested(body, "target"):
            if string_value(attr(target, "kind", 4)) != "objectStorage":
                continue
            ref = (attr(target, "bucket", 4) or "").strip()
            m = re.fullmatch(r"oci_objectstorage_bucket\.(\w+)\.name", ref)
            bucket = buckets.get(m.group(1)) if m else string_value(ref)
            if not granted(
                "any-user", "any-user", {"manage"}, {"objects", "object-family"},
                lambda c, b=bucket: c.replace(" ", "") == f"target.bucket.name='{b}'",
            ) or not any(
                "request.principal.type = 'serviceconnector'" in s or "request.principal.type='serviceconnector'" in s
                for *_, s in grants
            ):
                problems.append(f"{file}: service connector {name} writes bucket {bucket} without the serviceconnector grant on it")
    return problems, count


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    problems, statements = [], 0
    for out_dir in argv[1:]:
        found, count = check(out_dir)
        problems += found
        statements += count
    for p in problems:
        print(p)
    print(f"iam: {len(argv) - 1} dirs, {statements} statements, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
