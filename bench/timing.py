"""``Server-Timing`` for the benchmark: time in the server and SQL statements per request.

Outermost middleware, so the time covers every other middleware, the view and the template.
Statements are counted with ``connection.execute_wrapper`` (DEBUG stays off).
"""

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = 0

        def count(
            execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
        ) -> Any:
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        start = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        elapsed = (time.perf_counter() - start) * 1000
        if getattr(response, "streaming", False):
            return response  # the body is produced later: the client's clock is the measure
        response["Server-Timing"] = f'app;dur={elapsed:.2f}, db;desc="queries {queries}"'
        response["X-Bench-Queries"] = str(queries)
        return response
