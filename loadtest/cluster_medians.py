#!/usr/bin/env python3
"""Medians of the `cluster` runs in a results file (one JSON line per run), grouped by --label: a Markdown table
for BENCHMARKS.md. Loss and duplicates are summed over the runs (they must be 0), not medians.

    python3 loadtest/cluster_medians.py /tmp/rally-bench/results.jsonl
"""
import sys

from medians import median, reports


def load(path):
    runs = {}
    for report in reports(path):
        if report.get("scenario") == "cluster":
            runs.setdefault(report.get("label") or "unlabelled", []).append(report)
    return runs


def fmt(value, digits=1):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def row(label, reports):
    d = [r["deliveries"] for r in reports]
    c = [r.get("cluster") or {} for r in reports]
    cpu = [r.get("cpu") or {} for r in reports]
    lat = lambda key: median([x["latency"][key] for x in d])
    received = sum(x["received"] for x in d)
    expected = sum(x["expected"] for x in d)
    return [
        label, str(len(reports)), c[0].get("via", "?") + " " + c[0].get("style", ""),
        fmt(median([r["publishing"]["per_second"] for r in reports]), 0),
        fmt(median([x["per_second"] for x in d]), 0),
        fmt(lat("p50_ms"), 2), fmt(lat("p95_ms"), 2), fmt(lat("p99_ms"), 2), fmt(lat("p999_ms"), 2),
        fmt(median([x.get("server_microseconds_per_delivery") for x in c]), 2),
        fmt(median([x.get("redis_microseconds_per_delivery") for x in c]), 3),
        fmt(median([x.get("server_cores") for x in cpu]), 2), fmt(median([x.get("generator_cores") for x in cpu]), 2),
        f"{received:,}/{expected:,}", str(sum(x["lost"] for x in d)), str(sum(x["duplicated"] for x in d)),
        str(sum(r["publishing"]["failed"] for r in reports)),
    ]


def main():
    runs = load(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rally-bench/results.jsonl")
    header = ["run", "n", "via", "msg/s", "deliveries/s", "p50 ms", "p95", "p99", "p99.9", "node µs/delivery",
              "redis µs/delivery", "node cores", "generator cores", "received/expected", "lost", "dup", "failed"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, reports in runs.items():
        print("| " + " | ".join(row(label, reports)) + " |")


if __name__ == "__main__":
    main()
