"""Getting papers in: files (imports, exports, the bundled snapshot) and upstream fetches."""

from bot.ingest.fetch import FetchReport, fetch
from bot.ingest.files import (
    ImportReport,
    find_files,
    import_paths,
    load_snapshot_if_empty,
    read_file,
)
from bot.ingest.records import (
    EXPORT_XZ_PRESET,
    bundled_snapshot,
    dump_records,
    paper_from_record,
    record_from_paper,
    write_records,
)

__all__ = [
    "EXPORT_XZ_PRESET",
    "FetchReport",
    "ImportReport",
    "bundled_snapshot",
    "dump_records",
    "fetch",
    "find_files",
    "import_paths",
    "load_snapshot_if_empty",
    "paper_from_record",
    "read_file",
    "record_from_paper",
    "write_records",
]
