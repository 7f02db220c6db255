"""cAdvisor stand-in for the test rig (NOT cAdvisor).

Serves /metrics with cAdvisor's metric names and label schema (id, name, image
and the whitelisted container labels) for the containers that really run on
the Docker engine behind /var/run/docker.sock, and /healthz.

Modes reproduce the two failures of the seed deployment. The mode is read from
a file on every scrape, so a test switches it without recreating the
container; the default path is under /var/run, which cAdvisor's standard mount
set already shares with the host:

    echo root_cgroup_only > /var/run/cadvisor-standin/mode   # on the host

  normal            containers with id, name, image and whitelisted labels
  root_cgroup_only  only the root cgroup (id="/"): cAdvisor lacking privileges,
                    mounts or --docker_only=false
  no_name_labels    container series with id only: the Docker factory failed
                    to register (e.g. an API version mismatch), so only the raw
                    cgroup factory reports them

Standard library only: the base image has python3 and nothing else we need.
"""

import calendar
import http.client
import http.server
import json
import os
import platform
import re
import socket
import sys
import threading
import time

MODES = ("normal", "root_cgroup_only", "no_name_labels")
LABEL_PREFIX = "container_label_"


def parse_flags(argv):
    """Read the cAdvisor flags that change the label schema; ignore the rest."""
    flags = {
        "port": 8080,
        "store_container_labels": True,
        "whitelisted_container_labels": [],
        "docker": "unix:///var/run/docker.sock",
    }
    for arg in argv:
        match = re.match(r"^--?([a-z_.]+)(?:=(.*))?$", arg)
        if not match:
            continue
        name, value = match.group(1), match.group(2)
        if name == "port" and value:
            flags["port"] = int(value)
        elif name == "store_container_labels":
            flags["store_container_labels"] = (value or "true").lower() not in ("false", "0")
        elif name == "whitelisted_container_labels" and value is not None:
            flags["whitelisted_container_labels"] = [v for v in value.split(",") if v]
        elif name == "docker" and value:
            flags["docker"] = value
    return flags


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class Docker:
    def __init__(self, endpoint):
        if not endpoint.startswith("unix://"):
            raise SystemExit("cadvisor stand-in: only unix:// Docker endpoints are supported, got %s" % endpoint)
        self.path = endpoint[len("unix://"):]

    def get(self, url):
        conn = UnixHTTPConnection(self.path)
        try:
            conn.request("GET", url)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise RuntimeError("Docker API %s answered %s: %s" % (url, resp.status, body[:200]))
            return json.loads(body)
        finally:
            conn.close()


def read_first(paths, parse):
    for path in paths:
        try:
            with open(path) as handle:
                return parse(handle.read())
        except (OSError, ValueError):
            continue
    return None


def escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def label_name(docker_label):
    return LABEL_PREFIX + re.sub(r"[^a-zA-Z0-9_]", "_", docker_label)


class Collector:
    """Builds one exposition per scrape from the engine's live state."""

    def __init__(self, flags):
        self.flags = flags
        self.docker = Docker(flags["docker"])
        self.mode_file = os.environ.get("CADVISOR_STANDIN_MODE_FILE", "/var/run/cadvisor-standin/mode")
        self.version = os.environ.get("CADVISOR_STANDIN_VERSION", "v0.0.0")
        self.lock = threading.Lock()

    def mode(self):
        try:
            with open(self.mode_file) as handle:
                value = handle.read().strip()
        except OSError:
            return "normal"
        if value not in MODES:
            sys.stderr.write("cadvisor stand-in: unknown mode %r in %s; serving normal\n" % (value, self.mode_file))
            return "normal"
        return value

    def cgroup_id(self, info, container_id):
        if info.get("CgroupDriver") == "systemd":
            return "/system.slice/docker-%s.scope" % container_id
        return "/docker/%s" % container_id

    def container_labels(self, inspect, mode):
        if mode == "no_name_labels":
            return {}
        labels = {
            "name": inspect["Name"].lstrip("/"),
            "image": inspect["Config"].get("Image", ""),
        }
        docker_labels = inspect["Config"].get("Labels") or {}
        if self.flags["store_container_labels"]:
            wanted = docker_labels.keys()
        else:
            wanted = [k for k in self.flags["whitelisted_container_labels"] if k in docker_labels]
        for key in wanted:
            labels[label_name(key)] = docker_labels[key]
        return labels

    def oom_kills(self, info, cgroup):
        if str(info.get("CgroupVersion")) == "2":
            paths = ["/sys/fs/cgroup%s/memory.events" % cgroup]
        else:
            paths = ["/sys/fs/cgroup/memory%s/memory.oom_control" % cgroup]

        def parse(text):
            for line in text.splitlines():
                key, _sep, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
            return 0
        return read_first(paths, parse) or 0

    def root_series(self, info):
        cpu_ns = read_first(["/sys/fs/cgroup/cpuacct/cpuacct.usage", "/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage"], int)
        if cpu_ns is not None:
            cpu = cpu_ns / 1e9
        else:
            cpu = read_first(["/proc/stat"], lambda t: sum(int(v) for v in t.splitlines()[0].split()[1:8]) / os.sysconf("SC_CLK_TCK"))
        meminfo = read_first(["/proc/meminfo"], lambda t: {l.split(":")[0]: int(l.split()[1]) * 1024 for l in t.splitlines() if ":" in l})
        usage = read_first(["/sys/fs/cgroup/memory/memory.usage_in_bytes"], int)
        if usage is None and meminfo:
            usage = meminfo.get("MemTotal", 0) - meminfo.get("MemFree", 0)
        working_set = usage
        if meminfo and usage is not None:
            working_set = max(usage - meminfo.get("Inactive(file)", 0), 0)
        # The host's pid 1 sees the host's interfaces; our own /proc/net/dev
        # would only show this container's network namespace.
        nets = read_first(["/rootfs/proc/1/net/dev", "/proc/net/dev"], parse_net_dev) or {}
        return {
            "labels": {"id": "/"},
            "cpu": cpu or 0.0,
            "mem_usage": usage or 0,
            "mem_working_set": working_set or 0,
            "mem_limit": 0,
            "networks": nets,
            "start": read_first(["/proc/stat"], lambda t: float(re.search(r"^btime (\d+)", t, re.M).group(1))) or 0.0,
            "oom": 0,
        }

    def cgroup_stats(self, info, cgroup):
        """CPU seconds, memory usage, working set and limit from the cgroup
        files, as cAdvisor reads them (Docker's stats API is far slower)."""
        def stat_value(text, key):
            for line in text.splitlines():
                name, _sep, value = line.partition(" ")
                if name == key:
                    return int(value)
            raise ValueError(key)

        if str(info.get("CgroupVersion")) == "2":
            base = "/sys/fs/cgroup" + cgroup
            cpu = read_first([base + "/cpu.stat"], lambda t: stat_value(t, "usage_usec") / 1e6)
            usage = read_first([base + "/memory.current"], int)
            inactive = read_first([base + "/memory.stat"], lambda t: stat_value(t, "inactive_file"))
            limit = read_first([base + "/memory.max"], lambda t: 0 if t.strip() == "max" else int(t))
        else:
            cpu = read_first(["/sys/fs/cgroup/cpuacct%s/cpuacct.usage" % cgroup,
                              "/sys/fs/cgroup/cpu,cpuacct%s/cpuacct.usage" % cgroup], lambda t: int(t) / 1e9)
            usage = read_first(["/sys/fs/cgroup/memory%s/memory.usage_in_bytes" % cgroup], int)
            inactive = read_first(["/sys/fs/cgroup/memory%s/memory.stat" % cgroup], lambda t: stat_value(t, "total_inactive_file"))
            limit = read_first(["/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % cgroup], int)
        if cpu is None or usage is None:
            return None
        return cpu, usage, max(usage - (inactive or 0), 0), limit or 0

    def container_series(self, info, mode):
        series = []
        for summary in self.docker.get("/containers/json"):
            cid = summary["Id"]
            try:
                inspect = self.docker.get("/containers/%s/json" % cid)
            except RuntimeError:
                continue  # it stopped between the list and the inspect
            cgroup = self.cgroup_id(info, cid)
            stats = self.cgroup_stats(info, cgroup)
            if stats is None:
                # Without the host's cgroup tree (no /sys mount), ask Docker.
                try:
                    raw = self.docker.get("/containers/%s/stats?stream=false&one-shot=true" % cid)
                except RuntimeError:
                    continue
                memory = raw.get("memory_stats") or {}
                mstats = memory.get("stats") or {}
                usage = memory.get("usage", 0)
                inactive = mstats.get("total_inactive_file", mstats.get("inactive_file", 0))
                stats = (((raw.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage", 0) / 1e9,
                         usage, max(usage - inactive, 0), inspect["HostConfig"].get("Memory") or 0)
            pid = inspect["State"].get("Pid") or 0
            nets = read_first(["/rootfs/proc/%d/net/dev" % pid], parse_net_dev) if pid else None
            labels = {"id": cgroup}
            labels.update(self.container_labels(inspect, mode))
            series.append({
                "labels": labels,
                "cpu": stats[0],
                "mem_usage": stats[1],
                "mem_working_set": stats[2],
                "mem_limit": stats[3],
                "networks": nets or {},
                "start": parse_time(inspect["State"].get("StartedAt")),
                "oom": self.oom_kills(info, cgroup),
            })
        return series

    def render(self):
        with self.lock:
            mode = self.mode()
            info = self.docker.get("/info")
            version = self.docker.get("/version")
            all_series = [self.root_series(info)]
            if mode != "root_cgroup_only":
                all_series.extend(self.container_series(info, mode))
            now = time.time()
            out = []

            def family(name, kind, help_text, rows):
                out.append("# HELP %s %s" % (name, help_text))
                out.append("# TYPE %s %s" % (name, kind))
                for labels, value in rows:
                    text = ",".join('%s="%s"' % (k, escape(v)) for k, v in sorted(labels.items()))
                    out.append("%s%s %s" % (name, "{%s}" % text if text else "", repr(float(value))))

            family("cadvisor_version_info", "gauge",
                   "A metric with a constant '1' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.",
                   [({"cadvisorRevision": "standin", "cadvisorVersion": self.version, "dockerVersion": version.get("Version", ""),
                      "kernelVersion": platform.release(), "osVersion": "cAdvisor stand-in"}, 1)])
            family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
                   [(dict(s["labels"], cpu="total"), s["cpu"]) for s in all_series])
            family("container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed",
                   [(s["labels"], s["mem_usage"]) for s in all_series])
            family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.",
                   [(s["labels"], s["mem_working_set"]) for s in all_series])
            family("container_spec_memory_limit_bytes", "gauge", "Memory limit for the container.",
                   [(s["labels"], s["mem_limit"]) for s in all_series])
            family("container_network_receive_bytes_total", "counter", "Cumulative count of bytes received",
                   [(dict(s["labels"], interface=i), rx) for s in all_series for i, (rx, _tx) in sorted(s["networks"].items())])
            family("container_network_transmit_bytes_total", "counter", "Cumulative count of bytes transmitted",
                   [(dict(s["labels"], interface=i), tx) for s in all_series for i, (_rx, tx) in sorted(s["networks"].items())])
            family("container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds.",
                   [(s["labels"], s["start"]) for s in all_series])
            family("container_last_seen", "gauge", "Last time a container was seen by the exporter",
                   [(s["labels"], now) for s in all_series])
            family("container_oom_events_total", "counter", "Count of out of memory events observed for the container",
                   [(s["labels"], s["oom"]) for s in all_series])
            family("machine_cpu_cores", "gauge", "Number of logical CPU cores.", [({}, os.cpu_count() or 1)])
            family("machine_memory_bytes", "gauge", "Amount of memory installed on the machine.",
                   [({}, read_first(["/proc/meminfo"], lambda t: int(re.search(r"^MemTotal:\s+(\d+)", t, re.M).group(1)) * 1024) or 0)])
            return "\n".join(out) + "\n"


def parse_net_dev(text):
    nets = {}
    for line in text.splitlines()[2:]:
        name, _sep, rest = line.partition(":")
        fields = rest.split()
        if len(fields) >= 9 and name.strip() != "lo":
            nets[name.strip()] = (int(fields[0]), int(fields[8]))
    return nets


def parse_time(value):
    """Docker's RFC 3339 time with nanoseconds, as seconds since the epoch."""
    if not value or value.startswith("0001-"):
        return 0.0
    match = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", value)
    if not match:
        return 0.0
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = float("0." + match.group(7)) if match.group(7) else 0.0

    epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) + fraction
    zone = match.group(8)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        epoch -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return epoch


def make_handler(collector):
    class Handler(http.server.BaseHTTPRequestHandler):
        def _send(self, status, body, ctype="text/plain; version=0.0.4; charset=utf-8"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._send(200, "ok\n")
            elif path == "/metrics":
                try:
                    self._send(200, collector.render())
                except (OSError, RuntimeError, ValueError) as exc:
                    self._send(500, "cadvisor stand-in: cannot read the Docker engine: %s\n" % exc)
            else:
                self._send(404, "not found\n")

        def log_message(self, fmt, *args):
            pass  # a scrape every few seconds would drown the container log

    return Handler


def main():
    flags = parse_flags(sys.argv[1:])
    collector = Collector(flags)
    server = http.server.ThreadingHTTPServer(("", flags["port"]), make_handler(collector))
    sys.stderr.write("cadvisor stand-in (for %s) listening on :%d\n" % (collector.version, flags["port"]))
    server.serve_forever()


if __name__ == "__main__":
    main()
