"""Ducktrace's pytest plugin, loaded with `-p ducktrace_pytest` (its folder on PYTHONPATH).

--ducktrace-timeout=SECONDS  fails a test that runs longer (SIGALRM, so POSIX and the main
                             thread only; Ducktrace also kills a run that stops making progress).
--ducktrace-events=FILE      appends one JSON object per line: the collected items with their
                             locations, each test's start and its outcome, so that a run that had
                             to be killed still tells which tests finished and which one hung.
"""
import json
import os
import signal
import time

import pytest


class DucktraceTimeout(Exception):
    """Raised inside a test that ran past --ducktrace-timeout."""


def pytest_addoption(parser):
    group = parser.getgroup("ducktrace")
    group.addoption("--ducktrace-timeout", type=float, default=0.0, help="per-test timeout in seconds (0: none)")
    group.addoption("--ducktrace-events", default=None, help="file to append JSON-lines events to")


class _Events:
    def __init__(self, path):
        self._file = open(path, "a", encoding="utf-8", buffering=1)

    def write(self, **event):
        try:
            self._file.write(json.dumps(event, default=str) + "\n")
            self._file.flush()
        except Exception:  # never fail the user's run over a progress record
            pass


_events = None


def _emit(**event):
    if _events is not None:
        _events.write(**event)


def pytest_configure(config):
    global _events
    path = config.getoption("--ducktrace-events", None)
    if path:
        _events = _Events(path)
        _emit(event="session", rootdir=str(config.rootpath), pid=os.getpid())


def pytest_collectreport(report):
    if report.failed:
        _emit(event="collectError", nodeid=report.nodeid, longrepr=str(report.longrepr))


def pytest_collection_finish(session):
    for item in session.items:
        path, line, domain = item.location
        _emit(event="collected", nodeid=item.nodeid, file=path, line=line, name=item.name, domain=domain)
    _emit(event="collectionFinished", count=len(session.items))


def pytest_runtest_logstart(nodeid, location):
    _emit(event="start", nodeid=nodeid, time=time.time())


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        _emit(
            event="report",
            nodeid=report.nodeid,
            when=report.when,
            outcome=report.outcome,
            duration=report.duration,
            file=report.location[0],
            line=report.location[1],
            longrepr=str(report.longrepr) if report.longrepr else "",
            sections=[[name, text] for name, text in report.sections],
        )


def pytest_runtest_logfinish(nodeid, location):
    _emit(event="finish", nodeid=nodeid)


def _raise_timeout(signum, frame):
    __tracebackhide__ = True  # the test's own frames say where it was stuck
    raise DucktraceTimeout("test timed out (Ducktrace stopped it after its per-test timeout)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    seconds = item.config.getoption("--ducktrace-timeout", 0.0) or 0.0
    armed = seconds > 0 and hasattr(signal, "setitimer")
    if armed:
        try:
            previous = signal.signal(signal.SIGALRM, _raise_timeout)
            signal.setitimer(signal.ITIMER_REAL, seconds)
        except ValueError:  # not the main thread
            armed = False
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
