"""The front page of the Data Docs: one GX site per layer, linked from ``index.html``."""

from __future__ import annotations

from pathlib import Path

from expectations import LAYERS


def layer_docs_dir(docs_dir: Path, layer: str) -> Path:
    return docs_dir / layer


def write_index(docs_dir: Path) -> Path:
    """Write ``<docs_dir>/index.html`` linking each layer's site that exists."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    links = "\n".join(
        f'<li><a href="{layer}/index.html">{layer}</a>: the latest validation of every {layer} suite</li>'
        for layer in LAYERS
        if (layer_docs_dir(docs_dir, layer) / "index.html").exists()
    )
    index = docs_dir / "index.html"
    index.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>trustqa quality gates</title></head><body>"
        "<h1>trustqa quality gates (Great Expectations Data Docs)</h1>"
        f"<ul>\n{links or '<li>no gate has run yet</li>'}\n</ul></body></html>\n",
        encoding="utf-8",
    )
    return index
