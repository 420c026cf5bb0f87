"""Are the bib's links alive?  The network half of ``tc-survey check --online`` (code TC136).

Each distinct link is asked once with ``HEAD`` (``GET`` when the server answers 405 or 501 to
``HEAD``), redirects followed, within a timeout (``TC_LINK_TIMEOUT``, default 10 s).  Requests to
one host wait ``TC_LINK_DELAY`` seconds (default 1) after each other, so a bib with a hundred
GitHub links does not hammer GitHub; different hosts are checked side by side.  A link looks dead
when it answers 404, 410, another 4xx or a 5xx, or when it cannot be reached at all; 401, 403 and
429 are servers refusing robots, not dead links, so they are not reported.  Only the standard
library is used, and nothing here runs unless ``--online`` asks for it.
"""

from __future__ import annotations

import email.message
import http.client
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO

from sphinx_tc_ext._version import __version__

DEFAULT_LINK_TIMEOUT = 10.0
DEFAULT_LINK_DELAY = 1.0
#: Hosts checked at the same time (each host's links one after the other).
MAX_HOSTS_AT_ONCE = 8
#: Answers that say "not for robots" rather than "gone".
NOT_DEAD = frozenset({401, 403, 429})
USER_AGENT = f"sphinx-tc-ext/{__version__} (tc-survey check --online; https://github.com/cokeshao/sphinx-tc-ext)"


class LinkSettingError(Exception):
    """An environment variable that is not a number of seconds."""


@dataclass(frozen=True)
class Verdict:
    """What asking for one link gave: ``dead`` with a short reason (``HTTP 404``, ``no answer within 10 s``)."""

    url: str
    dead: bool
    reason: str = ""


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise LinkSettingError(f"{name}={value!r} is not a number of seconds; fix or unset it") from None
    if seconds < 0:
        raise LinkSettingError(f"{name}={value!r} is negative; give a number of seconds")
    return seconds


class HostPacer:
    """At most one request to a host every ``delay`` seconds (hosts are independent)."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay, self.clock, self.sleep = delay, clock, sleep
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()

    def wait(self, host: str) -> None:
        with self.lock:
            last = self.last.get(host)
        if last is not None:
            left = self.delay - (self.clock() - last)
            if left > 0:
                self.sleep(left)
        with self.lock:
            self.last[host] = self.clock()


class _KeepHead(urllib.request.HTTPRedirectHandler):
    """Follow a redirect with the method asked (Python before 3.13 turns a redirected HEAD into a GET)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: email.message.Message, newurl: str) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and req.get_method() == "HEAD":
            new.method = "HEAD"
        return new


class LinkChecker:
    """HEAD (or GET) each link once, paced per host; :meth:`check_all` gives a :class:`Verdict` per link."""

    def __init__(self, timeout: float | None = None, delay: float | None = None,
                 pacer: HostPacer | None = None) -> None:
        self.timeout = _seconds("TC_LINK_TIMEOUT", DEFAULT_LINK_TIMEOUT) if timeout is None else timeout
        delay = _seconds("TC_LINK_DELAY", DEFAULT_LINK_DELAY) if delay is None else delay
        self.pacer = pacer or HostPacer(delay)
        self.opener = urllib.request.build_opener(_KeepHead)

    def check(self, url: str) -> Verdict:
        host = urllib.parse.urlsplit(url).netloc.lower()
        for method in ("HEAD", "GET"):
            self.pacer.wait(host)
            request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    if method == "GET":
                        response.read(1024)  # the status is what matters; a small read confirms the answer
                    return Verdict(url, False)
            except urllib.error.HTTPError as exc:
                if method == "HEAD" and exc.code in (405, 501):
                    continue  # the server does not do HEAD: ask again with GET
                if exc.code in NOT_DEAD:
                    return Verdict(url, False, f"HTTP {exc.code}")
                if 300 <= exc.code < 400:
                    return Verdict(url, True, f"HTTP {exc.code}: too many redirects")
                return Verdict(url, True, f"HTTP {exc.code}")
            except TimeoutError:
                return Verdict(url, True, f"no answer within {self.timeout:g} s")
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    return Verdict(url, True, f"no answer within {self.timeout:g} s")
                return Verdict(url, True, f"cannot connect: {exc.reason}")
            except (OSError, ValueError, http.client.HTTPException) as exc:
                return Verdict(url, True, f"no readable answer: {exc}")
        return Verdict(url, True, "HTTP 405")  # pragma: no cover (GET never continues)

    def check_all(self, urls: Iterable[str]) -> dict[str, Verdict]:
        """Each distinct link's verdict; hosts side by side, each host's links in turn."""
        by_host: dict[str, list[str]] = {}
        for url in dict.fromkeys(urls):
            by_host.setdefault(urllib.parse.urlsplit(url).netloc.lower(), []).append(url)
        verdicts: dict[str, Verdict] = {}

        def run_host(host_urls: list[str]) -> list[Verdict]:
            return [self.check(u) for u in host_urls]

        if not by_host:
            return verdicts
        with ThreadPoolExecutor(max_workers=min(MAX_HOSTS_AT_ONCE, len(by_host))) as pool:
            for results in pool.map(run_host, by_host.values()):
                verdicts.update((v.url, v) for v in results)
        return verdicts
