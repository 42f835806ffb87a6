"""`celery worker` for the fault tests, with optional injected slowness before each analysis.

INFRA_SLOW_ANALYSIS_S=N makes web.vision.analyse_batch (every photo job's analysis, a batch of one
or more photos) sleep N seconds first (so a test can kill the
worker while a job is certainly running); with INFRA_SLOW_ONCE_FILE only the first run sleeps
(the file marks that it happened), so the redelivered job then runs at full speed. The real
analysis always runs afterwards; nothing is stubbed.
"""
from __future__ import annotations

import os
import sys
import time


def _install_slowness() -> None:
    delay = float(os.environ.get("INFRA_SLOW_ANALYSIS_S", "0") or 0)
    if delay <= 0:
        return
    once = os.environ.get("INFRA_SLOW_ONCE_FILE")
    from web import vision

    real = vision.analyse_batch

    def slow_analyse_batch(items, *args, **kwargs):
        if not once or not os.path.exists(once):
            if once:
                open(once, "w").close()
            print(f"[slow_worker] analysis starts ({len(items)} photo(s)), sleeping {delay} s first", flush=True)
            time.sleep(delay)
        return real(items, *args, **kwargs)

    vision.analyse_batch = slow_analyse_batch


if __name__ == "__main__":
    _install_slowness()
    from web.jobs.celery_app import celery

    celery.worker_main(sys.argv[1:])
