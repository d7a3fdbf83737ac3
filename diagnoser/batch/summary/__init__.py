"""The summary report of a batch run: what is failing, where, how badly and what nothing matched.

`summarise` reads batch records one at a time and keeps only bounded aggregates: counters capped
at a fixed number of keys (the long tail is pruned and the report says so), a few example tickets
per bucket and a timeline whose granularity coarsens as the run's span grows. Memory does not
grow with the number of records. `render_summary` turns a `Summary` into one self-contained HTML
file (inline CSS and SVG charts, no scripts, no network) or Markdown; `write_summary` does both
and writes the file atomically.

The package: `model` (the result and the names of its keys), `aggregate` (records → Summary),
`charts` (inline SVG) and `render` (HTML / Markdown and the file write).
"""

from .aggregate import (
    PLACE_LIMIT,
    summarise,
)
from .charts import (
    ACCENT,
    CATEGORY_COLOURS,
    MUTED,
    P1_COLOUR,
    PRIORITY_COLOURS,
    SCOPE_COLOURS,
)
from .model import (
    CATEGORY_NAMES,
    EXAMPLES,
    INCIDENT_TICKETS,
    KEY_CAPACITY,
    NO_SYSTEM,
    NONE_KEY,
    PHRASE_CAPACITY,
    PHRASE_EXAMPLES,
    PLACE_COLUMNS,
    PRIORITIES,
    PRIORITY_NAMES,
    SCOPE_NAMES,
    SCOPES,
    SOURCE_CAPACITY,
    TEXT_LIMIT,
    Bucket,
    Fmt,
    IncidentRow,
    Lang,
    Phrase,
    Rejection,
    Row,
    Summary,
    SummaryError,
    TicketRef,
    Timeline,
    Unmatched,
)
from .render import (
    FAULT_BARS,
    KIND_NAMES,
    LABELS,
    PHRASE_ROWS,
    SECTION_NAMES,
    SUFFIXES,
    citable,
    render_summary,
    summary_format,
    write_summary,
)

__all__ = [
    "ACCENT",
    "CATEGORY_COLOURS",
    "CATEGORY_NAMES",
    "EXAMPLES",
    "FAULT_BARS",
    "INCIDENT_TICKETS",
    "KEY_CAPACITY",
    "KIND_NAMES",
    "LABELS",
    "MUTED",
    "NONE_KEY",
    "NO_SYSTEM",
    "P1_COLOUR",
    "PHRASE_CAPACITY",
    "PHRASE_EXAMPLES",
    "PHRASE_ROWS",
    "PLACE_COLUMNS",
    "PLACE_LIMIT",
    "PRIORITIES",
    "PRIORITY_COLOURS",
    "PRIORITY_NAMES",
    "SCOPES",
    "SCOPE_COLOURS",
    "SCOPE_NAMES",
    "SECTION_NAMES",
    "SOURCE_CAPACITY",
    "SUFFIXES",
    "TEXT_LIMIT",
    "Bucket",
    "Fmt",
    "IncidentRow",
    "Lang",
    "Phrase",
    "Rejection",
    "Row",
    "Summary",
    "SummaryError",
    "TicketRef",
    "Timeline",
    "Unmatched",
    "citable",
    "render_summary",
    "summarise",
    "summary_format",
    "write_summary",
]
