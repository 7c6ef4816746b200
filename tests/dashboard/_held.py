"""Answers of the dashboard's API held back in a browser test, then delivered, so that a test
can make them arrive late or out of order at will (no timing of its own).

``watch_reads(page)`` (before the page is opened) marks each JSON body the page reads, once
the code that awaited it has run; ``Held(page, pattern, when, limit)`` asks the server at once
for the requests that match (up to ``limit`` of them) and holds their answers, as of then,
until ``release()``, which delivers them and returns once the page has read them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Marked in a task of its own after the body is read: by then the code that awaited it (and
# every step of it that waits on nothing else) has run.
READ_MARK = """(() => {
  const json = Response.prototype.json;
  Response.prototype.json = async function () {
    const body = await json.call(this), url = this.url;
    setTimeout(() => { (window.__nntuneRead = window.__nntuneRead || []).push(url); }, 0);
    return body;
  };
})();"""


def watch_reads(page: Any) -> None:
    page.add_init_script(READ_MARK)


class Held:
    """The answers to the requests matching ``pattern`` (and ``when`` on their URL) held until
    released; ``limit``: how many are held (the later ones go through)."""

    def __init__(self, page: Any, pattern: str, when: Callable[[str], bool] = lambda url: True,
                 limit: int | None = None) -> None:
        self.page, self.when, self.limit, self.pattern = page, when, limit, pattern
        self.routes: list[tuple[Any, Any]] = []
        self.held = 0
        page.route(pattern, self._route)

    def _route(self, route: Any) -> None:
        if self.when(route.request.url) and (self.limit is None or self.held < self.limit):
            self.held += 1
            self.routes.append((route, route.fetch()))  # the server's answer as of now
        else:
            route.continue_()

    def wait(self, n: int = 1) -> None:
        """Until ``n`` requests are held."""
        self.page.wait_for_function("() => true")  # lets the route handlers run
        for _ in range(200):
            if len(self.routes) >= n:
                return
            self.page.wait_for_timeout(25)
        raise AssertionError(f"{n} requests to {self.pattern} were not asked for")

    def release(self) -> None:
        """Delivers the held answers and returns once the page has read them."""
        routes, self.routes = self.routes, []
        for route, answer in routes:
            route.fulfill(response=answer)
        self.page.unroute(self.pattern, self._route)
        for route, _ in routes:
            self.page.wait_for_function("(url) => (window.__nntuneRead || []).includes(url)", arg=route.request.url,
                                        timeout=10000)
