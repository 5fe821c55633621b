"""Getting papers in: files (imports, exports, the bundled snapshot) and upstream fetches."""

from bot.ingest.fetch import FetchReport, fetch
from bot.ingest.files import (
    ImportReport,
    find_files,
    import_paths,
    load_snapshot_if_empty,
    read_file,
)
from bot.ingest.records import bundled_snapshot, paper_from_record, record_from_paper, write_records

__all__ = [
    "FetchReport",
    "ImportReport",
    "bundled_snapshot",
    "fetch",
    "find_files",
    "import_paths",
    "load_snapshot_if_empty",
    "paper_from_record",
    "read_file",
    "record_from_paper",
    "write_records",
]
