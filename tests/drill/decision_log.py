"""Drill of the decision log (`compliance.decision_logging`): every answer reaches the log.

Usage: tests/drill/run --decision-log OUT [OUT ...]

In: genops builds. For each whose gateway has the decision-log callback
(`OUT/gateway/litellm/genops_decision_log.py`), the generated config is loaded by the proxy's own
loader (which instantiates the callback from `litellm_settings.callbacks`), one request per route
goes through the Router with its deployments mocked healthy, and the answer goes through the
proxy's own `proxy_logging_obj.post_call_success_hook`, as the proxy does before it replies. The
OCI SDK is the real one (`oci`, pinned in requirements.txt): its PutLogs request models are
built for real; only `LoggingClient` is replaced by a recorder, as nothing may reach OCI.
Out: exit 0 when every route's answer produced exactly one decision entry in the right log with
the route, model, prompt version, input hash and the answer or only its hash as the route's data
class allows, and when a failing PutLogs makes the answer fail (fail closed); exit 1 otherwise.
"""

import asyncio
import hashlib
import json
import os
import shutil
import sys
import tempfile

import yaml

import gateway  # noqa: F401  (quiet LiteLLM import, no Redis, simulated time)
from gateway import HEALTHY, Gateway, _http_request

import litellm
import oci
from litellm.proxy import proxy_server
from litellm.proxy._types import UserAPIKeyAuth
from litellm.proxy.litellm_pre_call_utils import add_litellm_data_to_request

LOG_ID = "ocid1.log.oc1.eu-frankfurt-1.amaaaaaadrilldecisionlog"


class RecordingLoggingClient:
    """Stands in for oci.loggingingestion.LoggingClient: records PutLogs, or fails it."""

    calls = []
    fail = False

    def __init__(self, config):
        missing = [k for k in ("user", "fingerprint", "tenancy", "key_file", "region") if not config.get(k)]
        assert not missing, f"signing config lacks {missing}"

    def put_logs(self, log_id, put_logs_details):
        if RecordingLoggingClient.fail:
            raise oci.exceptions.ServiceError(503, "ServiceUnavailable", {}, "drill: logging ingestion is down")
        RecordingLoggingClient.calls.append((log_id, put_logs_details))


oci.loggingingestion.LoggingClient = RecordingLoggingClient


async def answer(gw, route):
    """One request to `route` as the proxy handles it, through the proxy's success hook."""
    path = f"/openai/deployments/{route}/chat/completions"
    user = UserAPIKeyAuth(request_route=path)
    data = await add_litellm_data_to_request(
        data={"model": route, "messages": [{"role": "user", "content": f"decision drill for {route}"}]},
        request=_http_request(path),
        user_api_key_dict=user,
        proxy_config=proxy_server.proxy_config,
        general_settings={},
        version=gateway.LITELLM_VERSION,
    )
    response = await gw.router.acompletion(**dict(data))
    await proxy_server.proxy_logging_obj.post_call_success_hook(data=data, user_api_key_dict=user, response=response)
    return data, response


async def drill(out, problems):
    callback = os.path.join(out, "gateway", "litellm", "genops_decision_log.py")
    config_path = os.path.join(out, "gateway", "litellm", "config.yaml")
    if not os.path.exists(callback):
        print(f"{out}: no decision logging")
        return
    with open(config_path) as f:
        config = yaml.safe_load(f)
    if "genops_decision_log.decision_log" not in (config.get("litellm_settings") or {}).get("callbacks", []):
        problems.append(f"{out}: genops_decision_log.py is written but the config does not load it")
    infos = {}
    for d in config["model_list"]:
        info = d.get("model_info") or {}
        if info.get("genops_route") and d["model_name"] == info["genops_route"]:
            infos.setdefault(info["genops_route"], []).append(info)
    os.environ["GENOPS_DECISION_LOG_ID"] = LOG_ID
    os.environ["GENOPS_OCI_REGION"] = "eu-frankfurt-1"
    work = tempfile.mkdtemp(prefix="genops-decision-drill-")
    try:
        # the proxy loads the callback from the config's own directory
        shutil.copy(callback, work)
        gw = Gateway(config_path, work, decision_log=True)
        await gw.start()
        loaded = [c for c in litellm.callbacks if type(c).__name__ == "DecisionLog"]
        if len(loaded) != 1:
            problems.append(f"{out}: the proxy loaded {len(loaded)} decision-log callbacks, not 1")
            return
        for route, route_infos in sorted(infos.items()):
            gw.set_mode(route, HEALTHY)
            RecordingLoggingClient.calls.clear()
            data, response = await answer(gw, route)
            where = f"{out}: route {route}"
            if len(RecordingLoggingClient.calls) != 1:
                problems.append(f"{where}: {len(RecordingLoggingClient.calls)} PutLogs calls, not 1")
                continue
            log_id, details = RecordingLoggingClient.calls[0]
            entries = [e for batch in details.log_entry_batches for e in batch.entries]
            entry = json.loads(entries[0].data)
            info = next((i for i in route_infos if i.get("id") == entry.get("deployment")), None)
            expected_input = hashlib.sha256(
                json.dumps(data["messages"], sort_keys=True, ensure_ascii=False).encode()
            ).hexdigest()
            text = response.choices[0].message.content
            checks = [
                (log_id == LOG_ID, f"written to {log_id}"),
                (details.specversion == "1.0" and len(entries) == 1, "one entry, spec version 1.0"),
                (info is not None, f"deployment {entry.get('deployment')} is not one of the route's"),
                (entry.get("route") == route, f"route {entry.get('route')}"),
                (info is None or entry.get("model") == info.get("genops_model"), f"model {entry.get('model')}"),
                (
                    info is None or (entry.get("prompt"), entry.get("prompt_version")) != (None, None)
                    or not info.get("genops_prompt"),
                    "no prompt version",
                ),
                (entry.get("input_sha256") == expected_input, "input hash is not the messages' SHA-256"),
                ("decision drill" not in json.dumps(entry), "the request's messages are in the log"),
                (entry.get("output_sha256") == hashlib.sha256(text.encode()).hexdigest(), "output hash"),
            ]
            full = info is not None and info.get("genops_decision_output") == "full"
            checks.append(((entry.get("output") == text) if full else ("output" not in entry), "output kept as the data class allows"))
            for ok, what in checks:
                if not ok:
                    problems.append(f"{where}: {what}: {entry}")
            print(f"{where}: decision logged ({'answer' if full else 'answer hash'}, prompt {entry.get('prompt')}@{entry.get('prompt_version')})")
        # fail closed: an answer whose decision cannot be written is not returned
        route = sorted(infos)[0]
        RecordingLoggingClient.fail = True
        try:
            await answer(gw, route)
            problems.append(f"{out}: route {route}: answered although its decision could not be logged")
        except oci.exceptions.ServiceError:
            print(f"{out}: route {route}: PutLogs failing fails the answer (fail closed)")
        finally:
            RecordingLoggingClient.fail = False
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def main(outs):
    problems = []
    for out in outs:
        await drill(out, problems)
    for p in problems:
        print(f"FAIL {p}")
    print(f"decision-log drill: {len(outs)} builds, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv[1:])))
