"""Load generator for `make bench`: runs as its own process, keeps connections alive, counts completions.

Usage: load.py --url http://127.0.0.1:PORT --scenario floor|submissions --seconds 10 --concurrency 8 [--tokens FILE]
Prints one JSON line: {"completed", "errors", "seconds", "latencies_ms": [p50, p95, p99]}.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

FORM = {
    "full_name": "สมชาย ใจดี",
    "email": "somchai@example.com",
    "citizen_id": "1101700230708",
    "address": "99 ถนนพระราม 6 แขวงพญาไท เขตพญาไท กรุงเทพมหานคร 10400",
    "phone": "0812345678",
    "business_info": "ร้านอาหาร ขายเครื่องดื่มแอลกอฮอล์",
}


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None, token: str) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body or {}, ensure_ascii=False).encode(), headers=headers)
    response = conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path} → {response.status}: {payload[:200]!r}")
    return json.loads(payload) if payload else {}


def run(url: str, scenario: str, seconds: float, concurrency: int, tokens: list[str], service: str) -> dict:
    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        token = tokens[index % len(tokens)] if tokens else ""
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                if scenario == "floor":
                    _request(conn, "POST", "/bench/bare-insert", {"n": index}, "")
                else:
                    created = _request(
                        conn, "POST", "/api/v1/applications", {"service": service, "form_data": FORM}, token
                    )
                    submitted = _request(conn, "POST", f"/api/v1/applications/{created['id']}/submit", None, token)
                    if not submitted.get("tracking_number"):
                        raise RuntimeError("submitted without a tracking number")
            except Exception as exc:
                with lock:
                    errors.append(str(exc))
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begun
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else 0.0

    return {
        "completed": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "seconds": round(elapsed, 2),
        "latencies_ms": [pct(0.5), pct(0.95), pct(0.99)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--scenario", choices=["floor", "submissions"], required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--tokens", default="")
    parser.add_argument("--service", default="liquor-sale-licence")
    args = parser.parse_args()
    tokens = open(args.tokens).read().split() if args.tokens else []  # noqa: SIM115
    print(json.dumps(run(args.url, args.scenario, args.seconds, args.concurrency, tokens, args.service)))


if __name__ == "__main__":
    main()
