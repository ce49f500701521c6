#!/usr/bin/env python3
"""The round-trip, storm and idle rows of `loadtest/bench.sh` as a Markdown table: for each run name (the report's
--label, e.g. `rally-roundtrip`, `nchan-storm`, `rally-idle`), the median of the runs with [min–max] of what that
row is about, so the runs of one session read as one line each.

    python3 loadtest/rows_medians.py /tmp/rally-bench/results.jsonl
"""
import sys

from medians import reports, spread


def per_item(report, count):
    """Server CPU microseconds per item (round trip, connection), from the run's CPU seconds; None without them."""
    seconds = (report.get("cpu") or {}).get("server_seconds")
    return seconds / count * 1e6 if seconds is not None and count else None


def roundtrip(runs):
    rt = [r.get("deliveries") or {} for r in runs]
    rate, _ = spread([x.get("per_second") for x in rt])
    p50, _ = spread([(x.get("latency") or {}).get("p50_ms") for x in rt], 2)
    p99, _ = spread([(x.get("latency") or {}).get("p99_ms") for x in rt], 1)
    us, _ = spread([per_item(r, (r.get("deliveries") or {}).get("received")) for r in runs], 1)
    return f"{rate}/s; p50 {p50} ms, p99 {p99} ms; server CPU {us} µs per round trip"


def storm(runs):
    conn = [r.get("connections") or {} for r in runs]
    rate, _ = spread([x.get("per_second") for x in conn])
    p50, _ = spread([(x.get("connect_latency") or {}).get("p50_ms") for x in conn], 0)
    p99, _ = spread([(x.get("connect_latency") or {}).get("p99_ms") for x in conn], 0)
    ok = "–".join(sorted({str(x.get("connected")) for x in conn}))
    us, _ = spread([per_item(r, x.get("connected")) for r, x in zip(runs, conn)], 0)
    return f"{rate}/s; p50 {p50} ms, p99 {p99}; {ok} connected; server CPU {us} µs per connection"


def idle(runs):
    mem = [r.get("memory") or {} for r in runs]
    conn = [r.get("connections") or {} for r in runs]
    per, _ = spread([m.get("server_bytes_per_connection") for m in mem])
    ok = "–".join(sorted({str(x.get("connected")) for x in conn}))
    return f"{per} B per socket; {ok} connected"


def main(path):
    runs = {}
    for report in reports(path):
        label = report.get("label") or ""
        runs.setdefault(label, []).append(report)
    print("| run | runs | result (median [min–max]) |\n|---|---|---|")
    for label, group in runs.items():
        kind = label.split("-", 1)[-1]
        summary = roundtrip if kind == "roundtrip" else storm if kind == "storm" else idle if kind.startswith("idle") else None
        if summary:
            print(f"| {label} | {len(group)} | {summary(group)} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rally-bench/results.jsonl")
