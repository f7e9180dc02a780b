#!/usr/bin/env python3
"""Start-up benchmark for Keyward on the embedded store.

Measures, for the release binary: time from process start to /healthz answering (first start,
which bootstraps, and warm restarts on an existing data directory), idle resident memory after
the server settled, and the binary's size. Bounded: a fixed number of runs on loopback.

    cargo build --release && python3 bench/startup.py [--runs N] [--binary PATH]
"""
import argparse, http.client, os, statistics, subprocess, sys, tempfile, time, socket


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def healthy(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/healthz")
        return c.getresponse().status == 200
    except OSError:
        return False


def start(binary, data_dir):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    env.update(KEYWARD_DATA_DIR=data_dir, KEYWARD_LISTEN=f"127.0.0.1:{port}", KEYWARD_LOG="warn")
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 30
    while not healthy(port):
        if time.perf_counter() > deadline or proc.poll() is not None:
            proc.kill()
            sys.exit("keyward did not become healthy")
        time.sleep(0.001)
    return proc, (time.perf_counter() - t0) * 1000


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--binary", default="target/release/keyward")
    args = ap.parse_args()
    first, warm, rss = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as d:
            proc, ms = start(args.binary, d)
            first.append(ms)
            stop(proc)
            proc, ms = start(args.binary, d)
            warm.append(ms)
            time.sleep(2)
            rss.append(rss_kib(proc.pid))
            stop(proc)
    size = os.path.getsize(args.binary)
    print(f"runs: {args.runs}")
    print(f"first start to /healthz: median {statistics.median(first):.1f} ms (min {min(first):.1f}, max {max(first):.1f})")
    print(f"warm start to /healthz:  median {statistics.median(warm):.1f} ms (min {min(warm):.1f}, max {max(warm):.1f})")
    print(f"idle RSS after 2 s:      median {statistics.median(rss) / 1024:.1f} MiB (max {max(rss) / 1024:.1f})")
    print(f"release binary size:     {size / 1048576:.1f} MiB")


if __name__ == "__main__":
    main()
