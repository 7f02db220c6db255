"""Time site.yml on a fresh local target (a benchmark, not a test).

Reports, each playbook with its task count and its ten slowest tasks:
  fresh converge   site.yml on a new target, from the first task to the recap
  idempotent rerun site.yml again on the converged target (must report changed=0)
  verification     verify.yml --tags t0 on the converged target
  time-to-green    from the first monitoring container starting to every
                   Prometheus target being up, read from Prometheus' own `up`
                   series (so it is as fine as the scrape interval); "of which
                   scraping" counts from Prometheus' own start

The target is a throw-away rig host (rig/host.sh), named by --host, with the
local inventory's settings: reached over SSH as opc with become, as an OCI VM. Run from the checkout after `make setup images`:

    .venv/bin/python benchmarks/site_timing.py [--host NAME] [--runs N] [--keep]
"""

import argparse
import datetime
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTAINERS = ("node-exporter", "cadvisor", "prometheus", "grafana")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(argv, **kwargs):
    return subprocess.run(argv, cwd=TOP, check=True, text=True, **kwargs)


def _stamp(text):
    """An RFC 3339 UTC time (Ansible's microseconds or Docker's nanoseconds) as a Unix time."""
    # Python's parser takes at most microseconds.
    text = re.sub(r"\.(\d{6})\d*", r".\1", text).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()


def playbook(host, ssh_port, *args):
    """Run a playbook against the bench host, with the json callback.

    Returns (seconds, the host's recap counts, its tasks): each task as
    (seconds, name, outcome), outcome one of ok, changed, skipped, failed.
    """
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(TOP, "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_JSON_INDENT="0")
    env["PATH"] = os.path.join(TOP, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    argv = ["ansible-playbook", "-i", "inventory/local", "-e", "rig_container=" + host,
            "-e", "ansible_port=%d" % ssh_port] + list(args)
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=TOP, env=env, text=True, capture_output=True, check=False)
    elapsed = time.monotonic() - start
    try:
        out = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        out = None
    if proc.returncode != 0 or out is None:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit("benchmark: %s failed (rc %d)" % (" ".join(args), proc.returncode))
    tasks = []
    for play in out["plays"]:
        for task in play["tasks"]:
            result = next(iter(task["hosts"].values()), None)
            duration = task["task"]["duration"]
            if result is None or "end" not in duration:
                continue
            outcome = ("failed" if result.get("failed") else "skipped" if result.get("skipped")
                       else "changed" if result.get("changed") else "ok")
            tasks.append((_stamp(duration["end"]) - _stamp(duration["start"]), task["task"]["name"], outcome))
    stats = next(iter(out["stats"].values()), {})
    return elapsed, stats, tasks


def report(label, elapsed, tasks, slowest=10):
    ran = [t for t in tasks if t[2] != "skipped"]
    print("%s: %.1f s, %d tasks run (%d skipped); the %d slowest:"
          % (label, elapsed, len(ran), len(tasks) - len(ran), slowest))
    for seconds, name, outcome in sorted(tasks, reverse=True)[:slowest]:
        print("  %6.2f s  %-7s  %s" % (seconds, outcome, name))


def started_at(host, names):
    """Each container's start time, from one `docker inspect` on the target."""
    out = run(["docker", "exec", host, "docker", "inspect", "-f", "{{.Name}} {{.State.StartedAt}}"] + list(names),
              capture_output=True).stdout.split()
    return {name.lstrip("/"): _stamp(when) for name, when in zip(out[::2], out[1::2])}


def first_all_up(port, since, until):
    """The first moment at which every target's `up` is 1, from Prometheus."""
    query = urllib.parse.urlencode({"query": "up", "start": since - 5, "end": until, "step": "1s"})
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/query_range?%s" % (port, query), timeout=30) as resp:
        series = json.load(resp)["data"]["result"]
    if not series:
        raise SystemExit("benchmark: Prometheus returned no `up` series")
    firsts = []
    for item in series:
        ups = [float(t) for t, v in item["values"] if v == "1"]
        if not ups:
            raise SystemExit("benchmark: target %s never came up" % item["metric"].get("instance"))
        firsts.append(min(ups))
    return max(firsts)


def one_run(host, keep):
    port, ssh_port = free_port(), free_port()
    run(["rig/host.sh", "down", host])
    run(["rig/host.sh", "up", host, "-p", "%d:22" % ssh_port, "-p", "%d:9090" % port, "-p", "%d:3000" % free_port()])
    try:
        fresh, _stats, fresh_tasks = playbook(host, ssh_port, "playbooks/site.yml")
        starts = started_at(host, CONTAINERS)
        first_start = min(starts.values())
        all_up = first_all_up(port, first_start, time.time())
        rerun, rerun_stats, rerun_tasks = playbook(host, ssh_port, "playbooks/site.yml")
        if rerun_stats.get("changed", -1) != 0:
            raise SystemExit("benchmark: the rerun was not idempotent: %s" % rerun_stats)
        verify, _stats, verify_tasks = playbook(host, ssh_port, "playbooks/verify.yml", "--tags", "t0")
        report("fresh converge", fresh, fresh_tasks)
        report("idempotent rerun", rerun, rerun_tasks)
        report("verification (t0)", verify, verify_tasks)
        return {"fresh converge": fresh, "idempotent rerun": rerun, "verification (t0)": verify,
                "time-to-green": all_up - first_start,
                "  of which scraping": all_up - starts["prometheus"]}
    finally:
        if not keep:
            run(["rig/host.sh", "down", host])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="coinpilot-bench", help="name of the throw-away target container")
    parser.add_argument("--runs", type=int, default=1, help="how many fresh targets to time")
    parser.add_argument("--keep", action="store_true", help="leave the last target running")
    args = parser.parse_args()

    results = [one_run(args.host, args.keep and i == args.runs - 1) for i in range(args.runs)]
    print("site.yml on the local target, %d run(s), %d CPU(s), load %.1f:"
          % (args.runs, os.cpu_count(), os.getloadavg()[0]))
    print("%-20s %10s %10s" % ("measure", "median s", "max s"))
    for key in results[0]:
        values = [r[key] for r in results]
        print("%-20s %10.1f %10.1f" % (key, statistics.median(values), max(values)))


if __name__ == "__main__":
    main()
