"""What every notebook builder shares: collect cells in order, then write one solution notebook."""
from __future__ import annotations

from pathlib import Path

import nbformat

KERNEL = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


class NotebookBuilder:
    """``md(text)`` / ``code(text, tags)`` append cells; ids are ``<prefix>-NN`` unless given."""

    def __init__(self, id_prefix: str):
        self.id_prefix = id_prefix
        self.cells: list[nbformat.NotebookNode] = []

    def md(self, text: str, cid: str | None = None) -> None:
        self._add(nbformat.v4.new_markdown_cell(text.strip("\n")), None, cid)

    def code(self, text: str, tags: list[str] | None = None, cid: str | None = None) -> None:
        self._add(nbformat.v4.new_code_cell(text.strip("\n")), tags, cid)

    def _add(self, cell: nbformat.NotebookNode, tags: list[str] | None, cid: str | None) -> None:
        if tags:
            cell.metadata["tags"] = list(tags)
        cell["id"] = cid or f"{self.id_prefix}-{len(self.cells):02d}"
        self.cells.append(cell)

    def build(self) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook(cells=self.cells, metadata=KERNEL)
        nbformat.validate(nb)
        return nb

    def write(self, out: Path | str) -> None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(self.build(), str(out))
        print(f"wrote {out} ({len(self.cells)} cells)")
