"""MkDocs hook: publish ``notebooks/*.ipynb`` (at the repository root) as pages.

The notebooks live outside ``docs_dir``.  Rather than copying or symlinking
them into ``docs/``, this hook adds each one to MkDocs' file collection under
``notebooks/NAME.ipynb``, pointing at the file where it is.  mkdocs-jupyter
then executes and renders it like any page in ``docs/``, and the nav can list
``notebooks/01_quickstart.ipynb``.  The hook runs before the plugins' own
``on_files`` (priority 100) so that mkdocs-jupyter sees the notebooks.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

NOTEBOOK_DIR = "notebooks"


@event_priority(100)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = Path(config.config_file_path).resolve().parent
    for nb in sorted((root / NOTEBOOK_DIR).glob("*.ipynb")):
        uri = f"{NOTEBOOK_DIR}/{nb.name}"
        if files.get_file_from_path(uri) is None:
            files.append(
                File(
                    uri,
                    src_dir=str(root),
                    dest_dir=config.site_dir,
                    use_directory_urls=config.use_directory_urls,
                )
            )
    return files
