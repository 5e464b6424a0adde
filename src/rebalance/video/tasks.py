"""Celery workers for video analysis (REBALANCE_BROKER_URL, e.g. a Redis on this machine).

Start a worker::

    REBALANCE_BROKER_URL=redis://127.0.0.1:6379/0 celery -A rebalance.video.tasks worker -c 2

A task is acknowledged only when done (a worker that dies hands its clip to another), takes one
clip at a time, and is retried on an ``OSError`` (storage or network that may come back) up to
``RETRIES`` times; a clip it cannot use comes back ``refused`` and is not retried. Each worker
process keeps to one core (:func:`rebalance.video.pose.one_core`): give ``-c`` the number of cores.
A worker process makes its ``Pose`` objects on its first clip and keeps them for the next
(:func:`rebalance.video.pose.kept`; the tracker restarted for each clip).
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from rebalance.config import Settings
from rebalance.video import job, pose

RETRIES = 3
RETRY_BACKOFF_S = 1  # then 2, 4 ... (Celery's exponential backoff)


def make_app(broker_url: str, queue: str) -> Celery:
    app = Celery("rebalance.video", broker=broker_url, backend=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_track_started=True,  # the clinic app shows a clip being analysed apart from one waiting
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
    )

    @app.task(  # type: ignore[untyped-decorator]
        name="rebalance.video.analyse_clip",
        shared=False,  # each app its own task (the worker's and a client's may differ in broker)
        autoretry_for=(OSError,),
        max_retries=RETRIES,
        retry_backoff=RETRY_BACKOFF_S,
        retry_jitter=False,
    )
    def analyse_clip(path: str, movement: str, view: str | None, out_dir: str | None) -> dict[str, Any]:
        return job.run(path, movement, view, out_dir)  # type: ignore[arg-type]

    return app


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _one_core(**_: Any) -> None:
    """Each worker process on one core: ``-c N`` processes use N cores."""
    pose.one_core()


def _app_from_settings() -> Celery:
    settings = Settings()
    return make_app(settings.broker_url or "redis://127.0.0.1:6379/0", settings.video_queue)


app = _app_from_settings()
