"""Flow ``publish_predictions``: staged predictions → the blob file of each issue hour (which
keeps the other issue times of that hour), the SQL table ``predictions_dart_spread``, a summary
to the notification channels.

All or nothing: when the SQL write (or a later blob write) fails for good, the blob files this
run wrote are put back as they were, so readers never see one place updated and not the other.
"""

from __future__ import annotations

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from sqlalchemy.engine import make_url

from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.publish.notify import summary_message, top_spreads
from ercot_dart.settings import get_settings
from tasks.publish import (
    BlobWrite,
    broadcast,
    delete_staged,
    prune_staged,
    put_blob,
    read_staged,
    restore_blob,
    upsert_predictions,
)


@flow(name="publish_predictions", log_prints=True, persist_result=True)
def publish_predictions(
    staged: str, run: str | None = None, caveats: list[str] | None = None
) -> dict:
    """Publish the predictions staged at blob key ``staged`` (by ``batch_inference``).

    Args:
        staged: blob key of the staged predictions.
        run: the run named in the notifications (default: this flow run's name).
        caveats: what the readers must know about these predictions (e.g. the stale sources
            they were made from), at the head of the summary and the artifact.

    Returns:
        ``blobs`` (where the files are), ``rows``, ``table``, ``notified`` (channel → ok or error).
    """
    settings = get_settings()
    log = get_run_logger()
    frame = read_staged(staged)

    writes: list[BlobWrite] = []
    try:
        for issue, part in frame.groupby("issue_time_utc", sort=True):
            writes.append(put_blob(part.reset_index(drop=True), issue))
        rows = upsert_predictions(settings.predictions_url, frame)
    except BaseException:
        for write in reversed(writes):
            restore_blob(write)
        raise
    table = (
        f"predictions_dart_spread in "
        f"{make_url(settings.predictions_url).render_as_string(hide_password=True)}"
    )
    bundle_id = str(frame["bundle_id"].iloc[0])
    locations = [w.url for w in writes] + [table]
    summary_artifact(frame, bundle_id, locations, settings.notify_top_spreads, caveats)

    message = summary_message(
        run or flow_run.name or "local",
        bundle_id,
        frame,
        locations,
        settings.notify_top_spreads,
        caveats,
    )
    notified = broadcast(message, log, "the summary")  # published all the same if one fails
    try:
        delete_staged(staged)
    except Exception as exc:  # published all the same; only this run reads that file
        log.error("the staged predictions %s were not removed: %s", staged, exc)
    try:
        pruned = prune_staged(pd.Timestamp.now("UTC"), settings.staging_keep_days)
        if pruned:
            log.info(
                "removed %d staged file(s) of runs older than %d day(s) that were never "
                "published: %s",
                len(pruned), settings.staging_keep_days, ", ".join(pruned),
            )  # fmt: skip
    except Exception as exc:  # published all the same; the next run prunes again
        log.warning("old staged predictions were not pruned: %s", exc)
    return {"blobs": [w.url for w in writes], "rows": rows, "table": table, "notified": notified}


def summary_artifact(  # type: ignore[no-untyped-def]
    frame, bundle_id: str, locations: list[str], top: int, caveats: list[str] | None = None
) -> None:
    """What was published, as a markdown artifact."""
    biggest = top_spreads(frame, max(top, 1))
    lines = [
        f"# Published DART predictions (bundle `{bundle_id}`)",
        "",
        *(f"> **Caveat**: {c}" for c in caveats or []),
        f"- rows: {len(frame):,}; settlement points: {frame['settlement_point'].nunique():,}; "
        f"models: {', '.join(sorted(frame['model'].unique()))}",
        *(f"- `{where}`" for where in locations),
        "",
        "| settlement point | delivery day | hour ending | ensemble $/MWh | P10 | P90 |",
        "|---|---|---|---|---|---|",
    ]
    for r in biggest.itertuples():
        day = r.interval_start_utc.tz_convert(CENTRAL).date()
        lines.append(
            f"| {r.settlement_point} | {day} | {r.hour_ending_local}{'*' if r.dst_flag == 'Y' else ''} "
            f"| {r.prediction:+.2f} | {r.p10:+.2f} | {r.p90:+.2f} |"
        )
    create_markdown_artifact(
        key="dart-published", markdown="\n".join(lines), description="What this run published"
    )
