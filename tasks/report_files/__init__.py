"""Progress reports as files: `.xlsx` for working with the numbers, `.docx` in the Vietnamese administrative
layout (Nghị định 30/2020/NĐ-CP) for signing and filing.

Both come from one `ReportData` (collected with a few aggregate queries), so the two files and `/tiendo`
always agree. The spreadsheet holds everything: every unit of the subtree, every overdue task, every
official's KPI (write-only openpyxl, fast for 100,000 tasks). The Word document is what a leader prints:
the sub-units one level down, the most overdue tasks (`DOCX_OVERDUE_LIMIT`, the rest being in the
spreadsheet), and a signature block left for the signer.

The package: `data` (what both show), `xlsx` (the workbook), `word` (the Word document).
"""

from tasks.report_files.data import (
    KPI_EXPLANATION,
    TITLE,
    DocumentSection,
    OverdueRow,
    ReportData,
    collect_report,
    document_sections,
    report_filename,
    report_for_name,
    report_for_viewer,
    walk,
)
from tasks.report_files.word import (
    DOCX_OVERDUE_LIMIT,
    PLACE_PLACEHOLDER,
    QUOC_HIEU,
    TIEU_NGU,
    administrative_date,
    docx_bytes,
    write_docx,
)
from tasks.report_files.xlsx import write_xlsx, xlsx_bytes

__all__ = [
    "DOCX_OVERDUE_LIMIT",
    "KPI_EXPLANATION",
    "PLACE_PLACEHOLDER",
    "QUOC_HIEU",
    "TIEU_NGU",
    "TITLE",
    "DocumentSection",
    "OverdueRow",
    "ReportData",
    "administrative_date",
    "collect_report",
    "document_sections",
    "docx_bytes",
    "report_filename",
    "report_for_name",
    "report_for_viewer",
    "walk",
    "write_docx",
    "write_xlsx",
    "xlsx_bytes",
]
