"""The evaluation plots of a bundle where a person can open them: copied into the blob store
next to the predictions (``plots/<bundle id>/<name>.png``) and shown from a Prefect markdown
artifact, in the training run and in every run that scores with the bundle."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from ercot_dart.publish.blob import open_blob_store
from ercot_dart.settings import get_settings
from tasks.retry import RETRIES

PLOTS = {
    "predicted_vs_realized.png": "Predicted vs realized DART (test split)",
    "error_by_hour.png": "MAE by hour ending (test split)",
}


def as_link(url: str) -> str:
    """A blob URL as a browser takes it (a local store's path as a file:// URL)."""
    return url if "://" in url else Path(url).resolve().as_uri()


@task(cache_policy=NO_CACHE, **RETRIES)
def publish_plots(bundle_dir: Path, bundle_id: str) -> dict[str, str]:
    """Copy the bundle's plots to the blob store (idempotent: the same bytes at the same key);
    returns each plot's URL by file name. A bundle without a plot just lacks its entry."""
    blob = open_blob_store(get_settings())
    urls = {}
    for name in PLOTS:
        path = Path(bundle_dir) / name
        if path.is_file():
            key = f"plots/{bundle_id}/{name}"
            blob.put(key, path.read_bytes())
            urls[name] = as_link(blob.url(key))
    return urls


def plots_markdown(bundle_id: str, urls: dict[str, str]) -> str:
    """The artifact's text: each plot shown and linked."""
    lines = [f"# Evaluation plots of bundle `{bundle_id}`", ""]
    for name, title in PLOTS.items():
        if name in urls:
            lines += [
                f"## {title}",
                "",
                f"![{title}]({urls[name]})",
                "",
                f"[{name}]({urls[name]})",
                "",
            ]
    if len(lines) == 2:
        lines.append("The bundle has no plots.")
    return "\n".join(lines)


def plots_artifact(key: str, bundle_dir: Path, bundle_id: str) -> dict[str, str]:
    """Publish the plots and leave the markdown artifact ``key`` that shows them."""
    urls = publish_plots(bundle_dir, bundle_id)
    create_markdown_artifact(
        key=key,
        markdown=plots_markdown(bundle_id, urls),
        description=f"Evaluation plots of bundle {bundle_id}",
    )
    return urls
