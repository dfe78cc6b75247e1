"""Load: hundreds of small jobs against the preview backend, submitted faster than they run by
clients that retry when refused. Every submission is either accepted or refused with BUSY at the
queue bound; every accepted job finishes; none is lost; memory stays bounded."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import httpx
import psutil
from conftest import RunningAdapter, make_config, small_request

JOBS = 300
CLIENTS = 12


def test_hundreds_of_jobs_finish_or_are_refused_and_memory_stays_bounded(tmp_path: Path) -> None:
    with RunningAdapter(make_config(tmp_path, max_queue=24, history_size=1000)) as a:
        me = psutil.Process()
        a.client.post("/generate", json=small_request(numFrames=5))  # warm-up
        gc.collect()
        rss_before = me.memory_info().rss
        accepted: list[str] = []
        refused = 0
        lock = threading.Lock()

        def client(n: int) -> None:
            nonlocal refused
            with httpx.Client(base_url=a.url, timeout=120) as c:
                for i in range(n):
                    while True:  # a well-behaved client: back off when told BUSY, then retry
                        r = c.post("/jobs", json=small_request(numFrames=5, seed=i))
                        with lock:
                            if r.status_code == 202:
                                accepted.append(r.json()["jobId"])
                                break
                            assert (
                                r.status_code == 429
                                and r.json()["error"]["code"] == "BUSY"
                                and r.headers["retry-after"]
                            ), r.text
                            refused += 1
                        time.sleep(0.05)

        threads = [threading.Thread(target=client, args=(JOBS // CLIENTS,)) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(accepted) == JOBS
        assert refused > 0, "the queue bound was reached"
        statuses = [a.wait(j, timeout=300)["status"] for j in accepted]
        assert statuses.count("succeeded") == len(accepted), "no accepted job was lost or failed"
        videos = list(Path(a.config.output_root).glob("*.mp4"))
        assert len(videos) == len(accepted) + 1
        gc.collect()
        grown_mb = (me.memory_info().rss - rss_before) / 2**20
        print(
            f"\nload: {JOBS} jobs from {CLIENTS} clients, all rendered; {refused} submissions refused with BUSY and retried; RSS {grown_mb:+.1f} MB"
        )
        assert grown_mb < 40, f"RSS grew by {grown_mb:.1f} MB"
