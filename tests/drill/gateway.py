"""The generated LiteLLM gateway, driven offline through LiteLLM's own code.

In: OUT/gateway/litellm/config.yaml. Out: a proxy replica that takes user requests to a route,
its deployments mocked as healthy, failing or timing out, and counts them in LiteLLM's own
PrometheusLogger as the proxy does; and the simulated clock LiteLLM reads.

The config is loaded by the proxy's own loader (litellm.proxy.proxy_server.ProxyConfig.load_config,
what `litellm --config` runs), which builds the Router with the config's fallbacks, retry
policies, allowed-fails policies (the circuit breakers), cooldowns and weights. Every
deployment's model call is replaced by LiteLLM's own mocks (`mock_response`, `mock_timeout`), and
each user request goes through `Router.acompletion` exactly as the proxy's `route_request` sends
it; on a failed request the drill calls the proxy-level hook the proxy calls,
`PrometheusLogger.async_post_call_failure_hook` (litellm/integrations/prometheus.py:2849 in
1.106.12), which counts `litellm_proxy_failed_requests_metric` and the failed part of
`litellm_proxy_total_requests_metric`. The FastAPI app itself is not started: its request path
adds authentication and database work, and the labels it adds (key, team, user) are empty
without a master key, as in the configs genops writes.

What differs from production, on purpose:
- Redis is not contacted: breaker counters and cooldowns live in the router's in-memory cache,
  as in a single proxy replica, and the response cache is off (every request reaches a model).
- Time is simulated: the wall clock LiteLLM reads (`time.time`) is moved forward between calls,
  so cooldowns and per-minute failure counts expire in simulated time; a mocked timeout raises
  `litellm.Timeout` at once instead of sleeping, and retries do not wait. Latency observed by the
  histogram is therefore the mock's, near zero.
"""

import asyncio
import contextlib
import io
import logging
import os
import re
import sys
import time

import yaml

_real_time = time.time
_offset = [0.0]


def _sim_time():
    return _real_time() + _offset[0]


def sim_now():
    """Seconds on the simulated wall clock LiteLLM reads."""
    return _sim_time()


def advance_to(t):
    """Move the simulated wall clock forward to `t` (never backward)."""
    now = _sim_time()
    if t > now:
        _offset[0] += t - now


def _quiet_import():
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "CRITICAL")
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        import litellm  # noqa: F401
        from litellm.proxy import proxy_server  # noqa: F401
    for name in ("LiteLLM", "LiteLLM Proxy", "LiteLLM Router"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.addHandler(logging.NullHandler())
        lg.propagate = False
        lg.setLevel(logging.CRITICAL + 1)


_quiet_import()
time.time = _sim_time  # every `time.time()` LiteLLM makes (cooldowns, TTLs) reads simulated time

import litellm  # noqa: E402
import litellm.main  # noqa: E402
from litellm.caching.redis_cache import RedisCache  # noqa: E402
from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER  # noqa: E402
from litellm.proxy._types import UserAPIKeyAuth  # noqa: E402
from litellm.proxy.litellm_pre_call_utils import add_litellm_data_to_request  # noqa: E402
from litellm.proxy import proxy_server  # noqa: E402
from litellm.proxy.proxy_server import ProxyConfig  # noqa: E402
from litellm.router import Router  # noqa: E402


# The proxy's loader parses the config with PyYAML's pure-Python SafeLoader, several seconds for a
# large system and the drill loads it once per scenario: libyaml's parser builds the same data.
_yaml_safe_load = yaml.safe_load
yaml.safe_load = lambda stream: yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


async def _no_sleep(*_args, **_kwargs):
    return None


# A mocked timeout raises litellm.Timeout (408) without sleeping for the deployment's timeout.
litellm.main._sleep_for_timeout_async = _no_sleep
# Retries happen as configured, without real waits between them.
Router._time_to_sleep_before_retry = lambda self, *a, **k: 0
# Redis: build the clients from the config but never contact a server (as litellmcheck does).
RedisCache._setup_health_pings = lambda self: None
try:
    import redis as _redis

    def _no_redis(self, *a, **k):
        raise _redis.exceptions.ConnectionError("drill: no Redis")

    _redis.Redis.info = _no_redis
except ImportError:
    pass


def set_dummy_env(config_text):
    """Placeholders for the config's os.environ/NAME references: never used to reach anything."""
    for name in set(re.findall(r"os\.environ/([A-Za-z0-9_]+)", config_text)):
        if name not in os.environ:
            os.environ[name] = "6379" if name.endswith("PORT") else f"drill-placeholder-{name.lower()}"


LITELLM_VERSION = "1.106.12"  # tests/drill/requirements.txt
HEALTHY = "healthy"
ERROR_5XX = "5xx"
TIMEOUT = "timeout"


class Gateway:
    """One proxy replica built from the generated config, its model calls mocked."""

    def __init__(self, config_path, work_dir, decision_log=False):
        with open(config_path) as f:
            text = f.read()
        set_dummy_env(text)
        config = _yaml_safe_load(text)
        settings = config.setdefault("litellm_settings", {}) or {}
        callbacks = settings.get("callbacks") or []
        if isinstance(callbacks, str):
            callbacks = [callbacks]
        self.exports_metrics = "prometheus" in callbacks
        # The decision-log callback (compliance.decision_logging) writes every answer to OCI
        # Logging and fails the answer when it cannot: it has its own drill (decision_log.py),
        # and here it would only turn every answer into a failure, so the replica runs without it
        # unless asked (`decision_log`, by that drill).
        if not decision_log:
            callbacks = [c for c in callbacks if c != "genops_decision_log.decision_log"]
        settings["callbacks"] = callbacks
        if not self.exports_metrics:
            # Attach the exporter anyway so the rules can be drilled; the missing callback is
            # reported by the drill as its own failure.
            settings["callbacks"] = list(callbacks) + ["prometheus"]
        config["litellm_settings"] = settings
        self._config_file = os.path.join(work_dir, "litellm-config.yaml")
        with open(self._config_file, "w") as f:
            yaml.safe_dump(config, f, sort_keys=False)
        self.router = None
        self.logger = None

    async def start(self):
        """A fresh proxy replica: new router (no cooldowns), same exporter registry."""
        litellm.logging_callback_manager._reset_all_callbacks()  # drop the previous replica's router
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink):
            router, _models, _settings = await ProxyConfig().load_config(
                router=None, config_file_path=self._config_file
            )
        litellm.cache = None
        with contextlib.suppress(AttributeError):
            router.cache.redis_cache = None
        # the proxy's startup sets this global; the exporter labels requested models it recognises
        proxy_server.llm_router = router
        self.router = router
        if self.logger is None:
            # this system's exporter: its histogram buckets are the config's, fixed when built
            self.logger = prometheus_logger(fresh=True)
        else:
            assert prometheus_logger() is self.logger

    def set_mode(self, route, mode, only_primary=False):
        """Mock every deployment of `route` as healthy/5xx/timeout; with `only_primary`, every
        deployment of its own groups (model, tiers, candidates), not of its fallbacks."""
        fallbacks = {t for entry in self.router.fallbacks or [] for targets in entry.values() for t in targets}
        for d in self.router.model_list:
            info = d.get("model_info") or {}
            if info.get("genops_route") != route:
                continue
            if only_primary and d["model_name"] in fallbacks:
                continue
            params = d["litellm_params"]
            for key in ("mock_response", "mock_timeout"):
                params.pop(key, None)
            if mode == HEALTHY:
                params["mock_response"] = "drill: ok"
            elif mode == ERROR_5XX:
                params["mock_response"] = "litellm.InternalServerError"
            elif mode == TIMEOUT:
                params["mock_response"] = "drill: too late"
                params["mock_timeout"] = True
            else:
                raise ValueError(mode)

    async def request(self, route, fail=False):
        """One user request to `route` as the proxy handles it; True when it succeeded."""
        # The OCI API gateway calls the route's Azure-style path (terraform/gateway.tf); the
        # proxy's own add_litellm_data_to_request builds the request data from it, metadata and
        # request_route included, as the proxy does before routing.
        path = f"/openai/deployments/{route}/chat/completions"
        user = UserAPIKeyAuth(request_route=path)
        data = await add_litellm_data_to_request(
            data={"model": route, "messages": [{"role": "user", "content": "drill"}]},
            request=_http_request(path),
            user_api_key_dict=user,
            proxy_config=proxy_server.proxy_config,
            general_settings={},
            version=LITELLM_VERSION,
        )
        kwargs = dict(data)
        if fail:
            # this one request fails on every deployment it reaches (retries and fallbacks too)
            kwargs["mock_response"] = "litellm.InternalServerError"
        try:
            await self.router.acompletion(**kwargs)
            return True
        except Exception as e:  # what the proxy turns into an error response
            await self.logger.async_post_call_failure_hook(request_data=data, original_exception=e, user_api_key_dict=user)
            return False

    async def flush(self):
        """Let LiteLLM's background logging finish, so the registry holds every request."""
        for _ in range(3):
            await GLOBAL_LOGGING_WORKER.flush()
            for _ in range(5):  # callbacks scheduled as tasks run at the next turns of the loop
                await asyncio.sleep(0)


def _http_request(path):
    from starlette.requests import Request

    return Request(
        {
            "type": "http",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "root_path": "",
            "query_string": b"",
            "headers": [(b"content-type", b"application/json")],
            "client": ("10.0.0.2", 40000),
            "server": ("litellm", 4000),
        }
    )


def prometheus_logger(fresh=False):
    """The PrometheusLogger LiteLLM builds for `callbacks: ["prometheus"]` (one per process);
    `fresh` drops the previous system's, its series and its buckets, first."""
    from litellm.integrations.prometheus import PrometheusLogger
    from litellm.litellm_core_utils import litellm_logging
    from prometheus_client import REGISTRY

    if "prometheus" not in litellm.callbacks:
        sys.exit("drill: the loaded config has no prometheus callback")
    if fresh:
        loggers = litellm_logging._in_memory_loggers
        loggers[:] = [c for c in loggers if not isinstance(c, PrometheusLogger)]
        for collector in list(REGISTRY._collector_to_names):
            if any(n.startswith("litellm_") for n in REGISTRY._collector_to_names[collector]):
                REGISTRY.unregister(collector)
    return litellm_logging._init_custom_logger_compatible_class("prometheus", internal_usage_cache=None, llm_router=None)
