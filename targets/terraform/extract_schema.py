#!/usr/bin/env python3
"""Derive genops's knowledge of the OCI resources it emits from the provider schema.

usage: python3 targets/terraform/extract_schema.py ../shared/oci/schema.json > targets/terraform/oci-resources.json

Keeps, for each resource and data source type genops writes, every argument (required or
optional; computed-only attributes are dropped) and every nested block with its min/max
counts. tests/integration/terraform.rs checks every emitted block against the result.
"""
import json
import sys

RESOURCES = [
    "oci_apigateway_deployment", "oci_apigateway_gateway", "oci_audit_configuration",
    "oci_budget_alert_rule", "oci_budget_budget", "oci_generative_ai_dedicated_ai_cluster",
    "oci_generative_ai_endpoint", "oci_identity_dynamic_group", "oci_identity_group", "oci_identity_policy",
    "oci_identity_tag", "oci_identity_tag_namespace", "oci_identity_user_group_membership", "oci_kms_key", "oci_kms_vault",
    "oci_logging_log", "oci_logging_log_group", "oci_monitoring_alarm",
    "oci_objectstorage_bucket", "oci_objectstorage_object", "oci_objectstorage_object_lifecycle_policy",
    "oci_ons_notification_topic", "oci_ons_subscription", "oci_sch_service_connector",
    "oci_load_balancer_backend", "oci_load_balancer_backend_set", "oci_load_balancer_listener",
    "oci_load_balancer_load_balancer", "oci_waf_web_app_firewall", "oci_waf_web_app_firewall_policy",
]
DATA_SOURCES = ["oci_generative_ai_models", "oci_objectstorage_namespace", "oci_secrets_secretbundle"]


def block(b):
    out = {"required": [], "optional": [], "blocks": {}}
    for name, attr in sorted(b.get("attributes", {}).items()):
        if attr.get("required"):
            out["required"].append(name)
        elif attr.get("optional"):
            out["optional"].append(name)
    for name, nested in sorted(b.get("block_types", {}).items()):
        if name == "timeouts":
            continue
        child = block(nested["block"])
        child["min_items"] = nested.get("min_items", 0)
        child["max_items"] = nested.get("max_items", 0)
        out["blocks"][name] = child
    return out


def main():
    schema = json.load(open(sys.argv[1]))
    provider = schema["provider_schemas"]["registry.terraform.io/oracle/oci"]
    out = {
        "_source": "oracle/oci 8.28.0 provider schema (../shared/oci/schema.json), by targets/terraform/extract_schema.py",
        "resource": {r: block(provider["resource_schemas"][r]["block"]) for r in RESOURCES},
        "data": {d: block(provider["data_source_schemas"][d]["block"]) for d in DATA_SOURCES},
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
