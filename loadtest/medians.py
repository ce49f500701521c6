"""What compare_medians.py and cluster_medians.py share: the reports of a results file (one JSON line per run, other
lines skipped) and medians of values that may be missing (None), with the runs' [min–max] where there are several."""
import json
import statistics


def reports(path):
    """Every JSON object of the file at `path`, in order (lines that do not start with `{` are skipped)."""
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("{"):
                yield json.loads(line)


def median(values):
    """The median of the values that are not None, or None if there are none."""
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def spread(values, digits=0, scale=1.0):
    """The median of the values that are not None (times `scale`) as text with [min–max] if there are several,
    and the median itself: ("n/a", None) if there are none."""
    values = [v * scale for v in values if v is not None]
    if not values:
        return "n/a", None
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:,.{digits}f}", med
    return f"{med:,.{digits}f} [{min(values):,.{digits}f}–{max(values):,.{digits}f}]", med
