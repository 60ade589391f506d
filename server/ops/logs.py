"""Logs: readable text (make run) or one JSON object a line (SAFEROUND_LOG_FORMAT=json, for a log collector).

Every line written while a request is answered carries its request id; the access line (logger
saferound.access, written by server/ops/observe.py instead of uvicorn's) also carries method, route
template, path, status and duration_ms."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from typing import Any

from server.audit.service import current_request_id

ACCESS_FIELDS = ("method", "route", "path", "status", "duration_ms", "client")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(fmt: str = "text") -> dict[str, Any]:
    """uvicorn's logging plus SafeRound's loggers; with "json" every handler writes JSON lines. uvicorn's own
    access log is off (serve passes access_log=False): saferound.access writes one line per request."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["saferound_access"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": "%(levelprefix)s %(message)s",
        "use_colors": None,
    }
    config["handlers"]["saferound_access"] = {
        "formatter": "saferound_access",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    if fmt == "json":
        config["formatters"] = {"json": {"()": "server.ops.logs.JsonFormatter"}}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
    config["loggers"]["saferound"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["saferound.access"] = {"handlers": ["saferound_access"], "level": "INFO", "propagate": False}
    return config
