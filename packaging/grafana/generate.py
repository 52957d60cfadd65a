#!/usr/bin/env python3
"""Generates the Grafana dashboards in packaging/grafana/dashboards/ (committed next to this
script). Edit the panels here, run `python3 packaging/grafana/generate.py`, commit both; the test
suite checks that the committed JSON is what this script makes (`--check`) and that every query
returns data from a live agent (tests/integration/test_dashboards.py).

Metric names are vitals' own: node_exporter's for the host, cAdvisor's for cgroups,
process-exporter's for process groups, node_tcp_* / node_udp_* for sockets, the OpenTelemetry
spanmetrics connector's and Tempo's service graph names for APM, vitals_* for the agent."""

import argparse
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
# Selector of the agent's series; every query carries it.
S = 'job=~"$job",instance=~"$instance"'
RI = "$__rate_interval"


def rate(metric, sel="", window=RI):
    return f"rate({metric}{{{S}{',' + sel if sel else ''}}}[{window}])"


def ratio_or_zero(num, den, zero=None):
    """num / den where den > 0, else 0 (not NaN, not absent): e.g. latency per I/O when idle.
    `zero` (default num) gives the series that read 0: pass den when num may be absent (no
    errors at all)."""
    return f"({num} / ({den} > 0)) or ({zero or num} * 0)"


# ---- panels ---------------------------------------------------------------------------------

class Board:
    def __init__(self, uid, title, description, tags, variables=(), links=()):
        self.uid, self.title, self.description, self.tags = uid, title, description, tags
        self.variables = list(variables)
        self.links = list(links)
        self.panels = []  # top-level panels (rows and panels)
        self._target = self.panels
        self._x = self._y = 0
        self._row_h = 0
        self._id = 0

    def next_id(self):
        self._id += 1
        return self._id

    def row(self, title, collapsed=False):
        """Starts a row; panels added after it belong to it (nested when collapsed)."""
        self._newline()
        r = {"type": "row", "title": title, "id": self.next_id(), "collapsed": collapsed,
             "gridPos": {"h": 1, "w": 24, "x": 0, "y": self._y}, "panels": []}
        self.panels.append(r)
        self._target = r["panels"] if collapsed else self.panels
        self._y += 1

    def _newline(self):
        if self._x:
            self._y += self._row_h
            self._x = self._row_h = 0

    def add(self, panel, w=12, h=8):
        if self._x + w > 24:
            self._newline()
        panel["id"] = self.next_id()
        panel["gridPos"] = {"h": h, "w": w, "x": self._x, "y": self._y}
        self._x += w
        self._row_h = max(self._row_h, h)
        self._target.append(panel)
        return panel

    def json(self):
        return {
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}]},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "links": self.links,
            "panels": self.panels,
            "refresh": "30s",
            "schemaVersion": SCHEMA_VERSION,
            "tags": ["vitals"] + self.tags,
            "templating": {"list": standard_variables() + self.variables},
            "time": {"from": "now-1h", "to": "now"},
            "timepicker": {},
            "timezone": "",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
        }


def target(expr, legend="", ref="A", instant=False, fmt=None, exemplar=False):
    t = {"datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant, "refId": ref}
    if fmt:
        t["format"] = fmt
    if exemplar:
        t["exemplar"] = True
    return t


def targets(*pairs, **kw):
    refs = "ABCDEFGHIJ"
    return [target(expr, legend, ref=refs[i], **kw) for i, (expr, legend) in enumerate(pairs)]


def timeseries(title, tgts, unit="short", description="", stack=False, min0=True, max_=None,
               overrides=(), links=()):
    defaults = {"unit": unit, "custom": {"fillOpacity": 10 if not stack else 60, "lineWidth": 1,
                                         "showPoints": "never", "spanNulls": False,
                                         "stacking": {"mode": "normal" if stack else "none",
                                                      "group": "A"}}}
    if min0:
        defaults["min"] = 0
    if max_ is not None:
        defaults["max"] = max_
    if links:
        defaults["links"] = list(links)
    return {"type": "timeseries", "title": title, "description": description, "datasource": DS,
            "targets": tgts,
            "fieldConfig": {"defaults": defaults, "overrides": list(overrides)},
            "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def stat(title, tgts, unit="short", description="", thresholds=None):
    steps = thresholds or [{"color": "green", "value": None}]
    return {"type": "stat", "title": title, "description": description, "datasource": DS,
            "targets": tgts,
            "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute",
                                                                     "steps": steps}},
                            "overrides": []},
            "options": {"colorMode": "value", "graphMode": "area", "justifyMode": "auto",
                        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "textMode": "auto"}}


def gauge(title, tgts, unit="percentunit", description="", max_=1):
    return {"type": "gauge", "title": title, "description": description, "datasource": DS,
            "targets": tgts,
            "fieldConfig": {"defaults": {"unit": unit, "min": 0, "max": max_, "thresholds": {
                "mode": "absolute", "steps": [{"color": "green", "value": None},
                                              {"color": "orange", "value": 0.7 * max_},
                                              {"color": "red", "value": 0.9 * max_}]}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "showThresholdLabels": False, "showThresholdMarkers": True}}


def table(title, tgts, description="", rename=None, units=None, hide=("Time",)):
    """Instant queries in table format, merged on their labels into one row per series."""
    for t in tgts:
        t["instant"], t["range"], t["format"] = True, False, "table"
    overrides = [{"matcher": {"id": "byName", "options": name},
                  "properties": [{"id": "unit", "value": unit}]}
                 for name, unit in (units or {}).items()]
    return {"type": "table", "title": title, "description": description, "datasource": DS,
            "targets": tgts,
            "fieldConfig": {"defaults": {"custom": {"align": "auto", "filterable": True}},
                            "overrides": overrides},
            "options": {"showHeader": True, "cellHeight": "sm"},
            "transformations": [
                {"id": "merge", "options": {}},
                {"id": "organize", "options": {
                    "excludeByName": {h: True for h in hide},
                    "renameByName": rename or {}}}]}


def heatmap(title, tgt, description=""):
    tgt["format"] = "heatmap"
    return {"type": "heatmap", "title": title, "description": description, "datasource": DS,
            "targets": [tgt],
            "options": {"calculate": False, "cellGap": 1, "color": {"mode": "scheme",
                                                                   "scheme": "Oranges",
                                                                   "steps": 64},
                        "yAxis": {"unit": "s"}, "rowsFrame": {"layout": "auto"},
                        "exemplars": {"color": "rgba(255,0,255,0.7)"},
                        "tooltip": {"mode": "single", "yHistogram": True}},
            "fieldConfig": {"defaults": {}, "overrides": []}}


def xychart(title, x_tgt, y_tgt, x_name, y_name, description=""):
    """Scatter of two series sampled at the same times (joined on time)."""
    return {"type": "xychart", "title": title, "description": description, "datasource": DS,
            "targets": [x_tgt, y_tgt],
            "transformations": [{"id": "joinByField", "options": {"byField": "Time",
                                                                  "mode": "outer"}}],
            "fieldConfig": {"defaults": {"custom": {"show": "points", "pointSize": {"fixed": 6}}},
                            "overrides": []},
            "options": {"seriesMapping": "auto", "dims": {"x": x_name},
                        "legend": {"showLegend": True, "displayMode": "list",
                                   "placement": "bottom"},
                        "tooltip": {"mode": "single"}}}


# ---- variables ------------------------------------------------------------------------------

def query_var(name, label, query, multi=True, include_all=True, hide=0, sort=1):
    return {"type": "query", "name": name, "label": label,
            "datasource": DS, "definition": query,
            "query": {"query": query, "refId": f"PrometheusVariableQueryEditor-{name}"},
            "refresh": 2, "multi": multi, "includeAll": include_all, "hide": hide, "sort": sort,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": [],
            "regex": ""}


def standard_variables():
    return [
        {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
         "hide": 0, "includeAll": False, "multi": False, "options": [],
         "refresh": 1, "regex": ""},
        # vitals_build_info is always served (also with --web.disable-exporter-metrics).
        query_var("job", "Job", "label_values(vitals_build_info, job)"),
        query_var("instance", "Instance", 'label_values(vitals_build_info{job=~"$job"}, instance)'),
    ]


# ---- dashboards -----------------------------------------------------------------------------

def host():
    b = Board("vitals-host", "vitals / Host",
              "USE method per node: utilisation, saturation and errors of CPU, memory, disk and "
              "network, with pressure stall information (PSI). node_exporter's metric names.",
              ["node", "host"])
    ncpu = f'count by (instance) (node_cpu_seconds_total{{{S},mode="idle"}})'
    b.row("Overview")
    b.add(stat("Uptime", targets((f"time() - node_boot_time_seconds{{{S}}}", "{{instance}}")),
               unit="s"), w=4, h=4)
    b.add(stat("CPUs", targets((ncpu, "{{instance}}"))), w=4, h=4)
    b.add(stat("Memory", targets((f"node_memory_MemTotal_bytes{{{S}}}", "{{instance}}")),
               unit="bytes"), w=4, h=4)
    b.add(gauge("CPU busy", targets((
        "1 - avg by (instance) (sum by (instance, cpu) ("
        + rate("node_cpu_seconds_total", 'mode=~"idle|iowait|steal"') + "))",
        "{{instance}}"))), w=4, h=4)
    b.add(gauge("Memory used", targets((
        f"1 - node_memory_MemAvailable_bytes{{{S}}} / node_memory_MemTotal_bytes{{{S}}}",
        "{{instance}}"))), w=4, h=4)
    b.add(gauge("Root filesystem used", targets((
        f'1 - node_filesystem_avail_bytes{{{S},mountpoint="/"}} '
        f'/ node_filesystem_size_bytes{{{S},mountpoint="/"}}', "{{instance}}"))), w=4, h=4)

    b.row("CPU")
    b.add(timeseries("CPU utilisation by mode", targets((
        "sum by (instance, mode) (" + rate("node_cpu_seconds_total", 'mode!="idle"') + ") "
        f"/ on (instance) group_left {ncpu}", "{{instance}} {{mode}}")),
        unit="percentunit", stack=True,
        description="Share of all CPUs' time per mode (idle left out)."), w=8)
    b.add(timeseries("CPU saturation: load per CPU", targets(
        (f"node_load1{{{S}}} / on (instance) group_left {ncpu}", "{{instance}} 1m"),
        (f"node_load5{{{S}}} / on (instance) group_left {ncpu}", "{{instance}} 5m"),
        (f"node_procs_running{{{S}}} / on (instance) group_left {ncpu}", "{{instance}} running")),
        description="Load average and runnable tasks per CPU; above 1 tasks wait for a CPU."), w=8)
    b.add(timeseries("CPU pressure (PSI)", targets(
        (rate("node_pressure_cpu_waiting_seconds_total"), "{{instance}} some")),
        unit="percentunit", max_=1,
        description="Share of time in which some runnable task waited for a CPU."), w=8)
    b.add(timeseries("Context switches and interrupts", targets(
        (rate("node_context_switches_total"), "{{instance}} context switches"),
        (rate("node_intr_total"), "{{instance}} interrupts"),
        (rate("node_forks_total"), "{{instance}} forks")), unit="ops"), w=12)
    b.add(timeseries("Softnet: packets dropped and budget exhausted", targets(
        (f"sum by (instance) ({rate('node_softnet_dropped_total')})", "{{instance}} dropped"),
        (f"sum by (instance) ({rate('node_softnet_times_squeezed_total')})",
         "{{instance}} squeezed")), unit="ops",
        description="CPU saturation by network receive processing (softirq backlog full, "
                    "budget exhausted)."), w=12)

    b.row("Memory")
    b.add(timeseries("Memory utilisation", targets(
        (f"node_memory_MemTotal_bytes{{{S}}} - node_memory_MemAvailable_bytes{{{S}}}",
         "{{instance}} used"),
        (f"node_memory_Cached_bytes{{{S}}} + node_memory_Buffers_bytes{{{S}}}",
         "{{instance}} cache + buffers"),
        (f"node_memory_MemFree_bytes{{{S}}}", "{{instance}} free"),
        (f"node_memory_SwapTotal_bytes{{{S}}} - node_memory_SwapFree_bytes{{{S}}}",
         "{{instance}} swap used")), unit="bytes"), w=8)
    b.add(timeseries("Memory saturation: paging", targets(
        (rate("node_vmstat_pgmajfault"), "{{instance}} major faults"),
        (rate("node_vmstat_pswpin"), "{{instance}} swap in (pages)"),
        (rate("node_vmstat_pswpout"), "{{instance}} swap out (pages)")), unit="ops"), w=8)
    b.add(timeseries("Memory pressure (PSI)", targets(
        (rate("node_pressure_memory_waiting_seconds_total"), "{{instance}} some"),
        (rate("node_pressure_memory_stalled_seconds_total"), "{{instance}} full")),
        unit="percentunit", max_=1,
        description="some: a task waited for memory; full: all non-idle tasks did."), w=8)
    b.add(timeseries("Memory errors: OOM kills", targets(
        (f"increase(node_vmstat_oom_kill{{{S}}}[{RI}])", "{{instance}}")),
        description="Processes killed by the OOM killer (0 on a healthy node)."), w=12)
    b.add(timeseries("Kernel memory", targets(
        (f"node_memory_Slab_bytes{{{S}}}", "{{instance}} slab"),
        (f"node_memory_PageTables_bytes{{{S}}}", "{{instance}} page tables"),
        (f"node_memory_KernelStack_bytes{{{S}}}", "{{instance}} kernel stacks")),
        unit="bytes"), w=12)

    b.row("Disk")
    dev = 'device!~"^(ram|loop|fd|zram).*"'
    b.add(timeseries("Disk utilisation (busy time)", targets(
        (rate("node_disk_io_time_seconds_total", dev), "{{instance}} {{device}}")),
        unit="percentunit", max_=1), w=8)
    b.add(timeseries("Disk saturation: average queue length", targets(
        (rate("node_disk_io_time_weighted_seconds_total", dev), "{{instance}} {{device}}")),
        description="Requests in flight or queued, averaged (weighted I/O time)."), w=8)
    b.add(timeseries("Disk pressure (PSI)", targets(
        (rate("node_pressure_io_waiting_seconds_total"), "{{instance}} some"),
        (rate("node_pressure_io_stalled_seconds_total"), "{{instance}} full")),
        unit="percentunit", max_=1), w=8)
    b.add(timeseries("Disk throughput", targets(
        (rate("node_disk_read_bytes_total", dev), "{{instance}} {{device}} read"),
        (rate("node_disk_written_bytes_total", dev), "{{instance}} {{device}} written")),
        unit="Bps"), w=8)
    b.add(timeseries("Disk IOPS", targets(
        (rate("node_disk_reads_completed_total", dev), "{{instance}} {{device}} reads"),
        (rate("node_disk_writes_completed_total", dev), "{{instance}} {{device}} writes")),
        unit="iops"), w=8)
    b.add(timeseries("Disk latency per request", targets(
        (ratio_or_zero(rate("node_disk_read_time_seconds_total", dev),
                       rate("node_disk_reads_completed_total", dev)), "{{instance}} {{device}} read"),
        (ratio_or_zero(rate("node_disk_write_time_seconds_total", dev),
                       rate("node_disk_writes_completed_total", dev)),
         "{{instance}} {{device}} write")), unit="s",
        description="Average time per completed request; 0 while the disk is idle."), w=8)
    fs = 'fstype!~"tmpfs|ramfs",mountpoint!=""'
    b.add(timeseries("Filesystem space used", targets(
        (f"1 - node_filesystem_avail_bytes{{{S},{fs}}} / node_filesystem_size_bytes{{{S},{fs}}}",
         "{{instance}} {{mountpoint}}")), unit="percentunit", max_=1), w=12)
    b.add(timeseries("Filesystem: hours until full (linear, last 6h)", targets(
        (f"(node_filesystem_avail_bytes{{{S},{fs}}} / -deriv(node_filesystem_avail_bytes{{{S},{fs}}}[6h]) / 3600) > 0 "
         f"or (node_filesystem_avail_bytes{{{S},{fs}}} * 0 + 1e6)",
         "{{instance}} {{mountpoint}}")), unit="h",
        description="At the rate of the last 6 hours; 1e6 when the free space is not shrinking."),
        w=12)

    b.row("Network")
    net = 'device!="lo"'
    b.add(timeseries("Network throughput", targets(
        (rate("node_network_receive_bytes_total", net), "{{instance}} {{device}} received"),
        (rate("node_network_transmit_bytes_total", net), "{{instance}} {{device}} sent")),
        unit="Bps"), w=8)
    b.add(timeseries("Network saturation: drops", targets(
        (rate("node_network_receive_drop_total", net), "{{instance}} {{device}} rx drop"),
        (rate("node_network_transmit_drop_total", net), "{{instance}} {{device}} tx drop")),
        unit="pps"), w=8)
    b.add(timeseries("Network errors", targets(
        (rate("node_network_receive_errs_total", net), "{{instance}} {{device}} rx errors"),
        (rate("node_network_transmit_errs_total", net), "{{instance}} {{device}} tx errors")),
        unit="pps"), w=8)
    b.add(timeseries("Link state", targets(
        (f"node_network_up{{{S},{net}}}", "{{instance}} {{device}} up"),
        (f"node_network_carrier{{{S},{net}}}", "{{instance}} {{device}} carrier")), min0=True),
        w=12)
    b.add(timeseries("TCP retransmitted share of segments", targets(
        (ratio_or_zero(rate("node_netstat_Tcp_RetransSegs"), rate("node_netstat_Tcp_OutSegs"),
                       zero=rate("node_netstat_Tcp_OutSegs")),
         "{{instance}}")), unit="percentunit"), w=12)
    return b


def containers():
    b = Board("vitals-containers", "vitals / Containers",
              "Per-cgroup CPU, memory, I/O, pressure, processes and network, cAdvisor's names "
              "(containers collector, on by default).", ["containers", "cadvisor"],
              variables=[query_var("cgroup", "cgroup",
                                   'label_values(container_last_seen{job=~"$job",instance=~"$instance"}, id)')])
    C = f'{S},id=~"$cgroup"'
    by = "instance, id, name"

    def r(metric, extra=""):
        return f"rate({metric}{{{C}{',' + extra if extra else ''}}}[{RI}])"

    b.row("CPU")
    b.add(timeseries("CPU usage", targets((f"sum by ({by}) ({r('container_cpu_usage_seconds_total')})",
                                           "{{instance}} {{id}}")),
                     description="Cores in use per cgroup."), w=8)
    b.add(timeseries("CPU throttled share of periods", targets(
        (f"sum by ({by}) ({r('container_cpu_cfs_throttled_periods_total')}) "
         f"/ sum by ({by}) ({r('container_cpu_cfs_periods_total')})", "{{instance}} {{id}}")),
        unit="percentunit", max_=1,
        description="Only cgroups with a CPU quota (cpu.max / cpu.cfs_quota_us) have periods."),
        w=8)
    b.add(timeseries("CPU throttled time", targets(
        (f"sum by ({by}) ({r('container_cpu_cfs_throttled_seconds_total')})", "{{instance}} {{id}}")),
        unit="s", description="Seconds per second the cgroup was held back by its quota."), w=8)
    b.add(timeseries("CPU usage against quota", targets(
        (f"sum by ({by}) ({r('container_cpu_usage_seconds_total')}) / on ({by}) "
         f"(container_spec_cpu_quota{{{C}}} / container_spec_cpu_period{{{C}}})",
         "{{instance}} {{id}}")), unit="percentunit"), w=12)
    b.add(timeseries("CPU pressure (PSI, cgroup v2)", targets(
        (f"sum by ({by}) ({r('container_pressure_cpu_waiting_seconds_total')})",
         "{{instance}} {{id}} some")), unit="percentunit",
        description="cgroup v2 (or the unified hierarchy of a hybrid layout) only."), w=12)

    b.row("Memory")
    b.add(timeseries("Working set", targets(
        (f"container_memory_working_set_bytes{{{C}}}", "{{instance}} {{id}}")), unit="bytes"), w=8)
    b.add(timeseries("Working set against limit", targets(
        (f"container_memory_working_set_bytes{{{C}}} / (container_spec_memory_limit_bytes{{{C}}} > 0)",
         "{{instance}} {{id}}")), unit="percentunit", max_=1,
        description="Only cgroups with a memory limit."), w=8)
    b.add(timeseries("RSS, cache, swap", targets(
        (f"container_memory_rss{{{C}}}", "{{instance}} {{id}} rss"),
        (f"container_memory_cache{{{C}}}", "{{instance}} {{id}} cache"),
        (f"container_memory_swap{{{C}}}", "{{instance}} {{id}} swap")), unit="bytes"), w=8)
    b.add(timeseries("OOM kills", targets(
        (f"sum by ({by}) (increase(container_oom_events_total{{{C}}}[{RI}]))",
         "{{instance}} {{id}}")),
        description="Processes of the cgroup killed by the OOM killer (0 when none)."), w=8)
    b.add(timeseries("Page faults", targets(
        (f"sum by ({by}, failure_type) (" + r("container_memory_failures_total", 'scope="container"') + ")",
         "{{instance}} {{id}} {{failure_type}}")), unit="ops"), w=8)
    b.add(timeseries("Memory pressure (PSI, cgroup v2)", targets(
        (f"sum by ({by}) ({r('container_pressure_memory_waiting_seconds_total')})",
         "{{instance}} {{id}} some"),
        (f"sum by ({by}) ({r('container_pressure_memory_stalled_seconds_total')})",
         "{{instance}} {{id}} full")), unit="percentunit"), w=8)

    b.row("I/O, processes, network")
    # Block I/O per cgroup exists only where the kernel accounts it (cgroup v2 io.stat, v1
    # blkio.throttle with per-device lines); elsewhere these return 0.
    b.add(timeseries("Block I/O", targets(
        (f"sum by ({by}) ({r('container_fs_reads_bytes_total')}) or on () vector(0)",
         "{{instance}} {{id}} read"),
        (f"sum by ({by}) ({r('container_fs_writes_bytes_total')}) or on () vector(0)",
         "{{instance}} {{id}} written")), unit="Bps",
        description="cgroup v2 io.stat, or v1 blkio.throttle per device; 0 where the kernel "
                    "accounts no per-cgroup I/O."), w=8)
    b.add(timeseries("I/O pressure (PSI, cgroup v2)", targets(
        (f"sum by ({by}) ({r('container_pressure_io_waiting_seconds_total')})",
         "{{instance}} {{id}} some")), unit="percentunit"), w=8)
    b.add(timeseries("Processes and threads", targets(
        (f"container_processes{{{C}}}", "{{instance}} {{id}} processes"),
        (f"container_threads{{{C}}}", "{{instance}} {{id}} threads")), unit="short"), w=8)
    b.add(timeseries("Network (cgroups with their own network namespace)", targets(
        (f"sum by ({by}, interface) ({r('container_network_receive_bytes_total')})",
         "{{instance}} {{id}} {{interface}} received"),
        (f"sum by ({by}, interface) ({r('container_network_transmit_bytes_total')})",
         "{{instance}} {{id}} {{interface}} sent")), unit="Bps"), w=12)
    b.add(table("cgroups", targets(
        (f"sum by ({by}) ({r('container_cpu_usage_seconds_total')})", ""),
        (f"max by ({by}) (container_memory_working_set_bytes{{{C}}})", ""),
        (f"max by ({by}) (container_spec_memory_limit_bytes{{{C}}})", ""),
        (f"max by ({by}) (container_processes{{{C}}})", ""),
        (f"max by ({by}) (time() - container_start_time_seconds{{{C}}})", "")),
        rename={"Value #A": "CPU cores", "Value #B": "working set", "Value #C": "memory limit",
                "Value #D": "processes", "Value #E": "age"},
        units={"Value #B": "bytes", "Value #C": "bytes", "Value #E": "s"}), w=12)
    b.add(stat("cgroups exported / skipped", targets(
        (f"vitals_containers_cgroups{{{S}}}", "{{instance}} exported"),
        (f"vitals_containers_cgroups_skipped{{{S}}}", "{{instance}} skipped")),
        description="--collector.containers.max-cgroups and max-depth leave cgroups out."), w=24, h=4)
    return b


def sockets():
    b = Board("vitals-sockets", "vitals / Sockets and network",
              "Listeners and their accept queues and drops, TCP connections per port and state "
              "in each direction, UDP listeners, and the host-wide TCP counters that explain "
              "them (sockets, netstat, sockstat collectors).", ["sockets", "tcp", "network"],
              variables=[query_var("port", "Port",
                                   'label_values(node_tcp_connections{job=~"$job",instance=~"$instance"}, port)')])
    L = S
    b.row("Listeners")
    b.add(table("TCP listeners", targets(
        (f"sum by (instance, protocol, address, port) (node_tcp_listen_queue_length{{{L}}})", ""),
        (f"sum by (instance, protocol, address, port) (node_tcp_listen_queue_max{{{L}}})", ""),
        (f"sum by (instance, protocol, address, port) (increase(node_tcp_listen_drops_total{{{L}}}[$__range]))", "")),
        rename={"Value #A": "accept queue", "Value #B": "backlog", "Value #C": "drops in range"},
        description="Listening TCP sockets: connections waiting to be accepted, the backlog "
                    "(netlink source only) and connection attempts dropped in the time range."),
          w=24)
    b.add(timeseries("Accept queue fill", targets(
        (f"node_tcp_listen_queue_length{{{L}}} / (node_tcp_listen_queue_max{{{L}}} + 1)",
         "{{instance}} {{address}}:{{port}}")), unit="percentunit", max_=1,
        description="Accept queue over its capacity (backlog + 1); at 1 new connections are "
                    "dropped."), w=8)
    b.add(timeseries("Listener drops per port", targets(
        (f"sum by (instance, port) ({rate('node_tcp_listen_drops_total')})", "{{instance}} {{port}}")),
        unit="ops"), w=8)
    b.add(timeseries("Listen overflows and drops (host)", targets(
        (rate("node_netstat_TcpExt_ListenOverflows"), "{{instance}} overflows"),
        (rate("node_netstat_TcpExt_ListenDrops"), "{{instance}} drops"),
        (rate("node_netstat_TcpExt_SyncookiesSent"), "{{instance}} SYN cookies sent")),
        unit="ops"), w=8)

    b.row("Connections")
    b.add(timeseries("Inbound connections per port and state", targets(
        (f'sum by (instance, port, state) (node_tcp_connections{{{S},direction="inbound",port=~"$port"}})',
         "{{instance}} :{{port}} {{state}}")),
        description="Connections to ports this host listens on, by local port."), w=12)
    b.add(timeseries("Outbound connections per remote port and state", targets(
        (f'sum by (instance, port, state) (node_tcp_connections{{{S},direction="outbound",port=~"$port"}})',
         "{{instance}} →{{port}} {{state}}")),
        description="Connections this host opened, by remote port."), w=12)
    b.add(timeseries("Established connections by direction", targets(
        (f'sum by (instance, direction) (node_tcp_connections{{{S},state="established"}})',
         "{{instance}} {{direction}}")), stack=True), w=8)
    b.add(timeseries("TIME_WAIT and CLOSE_WAIT", targets(
        (f'sum by (instance, direction, state) (node_tcp_connections{{{S},state=~"time_wait|close_wait"}}) '
         f'or sum by (instance, direction) (node_tcp_connections{{{S},state="established"}}) * 0',
         "{{instance}} {{direction}} {{state}}")),
        description="Many TIME_WAIT outbound: connection churn (no keep-alive). CLOSE_WAIT: "
                    "an application does not close its sockets."), w=8)
    b.add(table("Top ports by established connections", targets(
        (f'topk(20, sum by (instance, direction, port) (node_tcp_connections{{{S},state="established"}}))',
         "")), rename={"Value": "established"}), w=8)

    b.row("UDP and host-wide TCP")
    b.add(timeseries("UDP listener receive queues", targets(
        (f"node_udp_listen_receive_queue_bytes{{{S}}}", "{{instance}} {{address}}:{{port}}")),
        unit="bytes"), w=8)
    b.add(timeseries("UDP drops", targets(
        (f"sum by (instance, port) ({rate('node_udp_listen_drops_total')})", "{{instance}} :{{port}}"),
        (rate("node_netstat_Udp_RcvbufErrors"), "{{instance}} receive buffer errors (host)")),
        unit="ops"), w=8)
    b.add(timeseries("TCP segments and retransmits", targets(
        (rate("node_netstat_Tcp_OutSegs"), "{{instance}} sent"),
        (rate("node_netstat_Tcp_InSegs"), "{{instance}} received"),
        (rate("node_netstat_Tcp_RetransSegs"), "{{instance}} retransmitted"),
        (rate("node_netstat_TcpExt_TCPTimeouts"), "{{instance}} timeouts")), unit="ops"), w=8)
    b.add(timeseries("TCP opens and resets", targets(
        (rate("node_netstat_Tcp_ActiveOpens"), "{{instance}} active (outbound)"),
        (rate("node_netstat_Tcp_PassiveOpens"), "{{instance}} passive (inbound)"),
        (rate("node_netstat_Tcp_OutRsts"), "{{instance}} resets sent")), unit="ops"), w=8)
    b.add(timeseries("Sockets in use (sockstat)", targets(
        (f"node_sockstat_TCP_inuse{{{S}}}", "{{instance}} TCP"),
        (f"node_sockstat_TCP_tw{{{S}}}", "{{instance}} TCP timewait"),
        (f"node_sockstat_TCP_orphan{{{S}}}", "{{instance}} TCP orphan"),
        (f"node_sockstat_UDP_inuse{{{S}}}", "{{instance}} UDP")), unit="short"), w=8)
    b.add(timeseries("Connection tracking", targets(
        (f"node_nf_conntrack_entries{{{S}}} / node_nf_conntrack_entries_limit{{{S}}}",
         "{{instance}}")), unit="percentunit", max_=1), w=8)
    return b


def process_groups():
    b = Board("vitals-process-groups", "vitals / Process groups",
              "Processes grouped by name, process-exporter's namedprocess_namegroup_* names "
              "(process_groups collector: start vitals with --collector.process_groups).",
              ["processes"],
              variables=[query_var("group", "Group",
                                   'label_values(namedprocess_namegroup_num_procs{job=~"$job",instance=~"$instance"}, groupname)')])
    G = f'{S},groupname=~"$group"'

    def r(metric, extra=""):
        return f"rate({metric}{{{G}{',' + extra if extra else ''}}}[{RI}])"

    b.row("Groups")
    b.add(table("Groups", targets(
        (f"max by (instance, groupname) (namedprocess_namegroup_num_procs{{{G}}})", ""),
        (f"sum by (instance, groupname) ({r('namedprocess_namegroup_cpu_seconds_total')})", ""),
        (f'max by (instance, groupname) (namedprocess_namegroup_memory_bytes{{{G},memtype="resident"}})', ""),
        (f"max by (instance, groupname) (namedprocess_namegroup_num_threads{{{G}}})", ""),
        (f"max by (instance, groupname) (time() - namedprocess_namegroup_oldest_start_time_seconds{{{G}}})", "")),
        rename={"Value #A": "processes", "Value #B": "CPU cores", "Value #C": "resident",
                "Value #D": "threads", "Value #E": "oldest age"},
        units={"Value #C": "bytes", "Value #E": "s"}), w=24)
    b.add(timeseries("CPU", targets(
        (f"sum by (instance, groupname, mode) ({r('namedprocess_namegroup_cpu_seconds_total')})",
         "{{instance}} {{groupname}} {{mode}}")), description="Cores in use."), w=8)
    b.add(timeseries("Resident memory", targets(
        (f'namedprocess_namegroup_memory_bytes{{{G},memtype="resident"}}',
         "{{instance}} {{groupname}}")), unit="bytes"), w=8)
    b.add(timeseries("Processes", targets(
        (f"namedprocess_namegroup_num_procs{{{G}}}", "{{instance}} {{groupname}}")), unit="short"),
        w=8)
    b.add(timeseries("Disk I/O", targets(
        (r("namedprocess_namegroup_read_bytes_total"), "{{instance}} {{groupname}} read"),
        (r("namedprocess_namegroup_write_bytes_total"), "{{instance}} {{groupname}} written")),
        unit="Bps"), w=8)
    b.add(timeseries("Page faults", targets(
        (r("namedprocess_namegroup_major_page_faults_total"), "{{instance}} {{groupname}} major"),
        (r("namedprocess_namegroup_minor_page_faults_total"), "{{instance}} {{groupname}} minor")),
        unit="ops"), w=8)
    b.add(timeseries("Context switches", targets(
        (f"sum by (instance, groupname, ctxswitchtype) ({r('namedprocess_namegroup_context_switches_total')})",
         "{{instance}} {{groupname}} {{ctxswitchtype}}")), unit="ops"), w=8)
    b.add(timeseries("Open file descriptors and worst fd ratio", targets(
        (f"namedprocess_namegroup_open_filedesc{{{G}}}", "{{instance}} {{groupname}} open"),
        (f"namedprocess_namegroup_worst_fd_ratio{{{G}}}", "{{instance}} {{groupname}} worst ratio")),
        unit="short"), w=12)
    b.add(timeseries("Threads and states", targets(
        (f"namedprocess_namegroup_num_threads{{{G}}}", "{{instance}} {{groupname}} threads"),
        (f"sum by (instance, groupname, state) (namedprocess_namegroup_states{{{G}}})",
         "{{instance}} {{groupname}} {{state}}")), unit="short"), w=12)
    return b


def apm():
    traces_link = {
        "title": "Traces of ${__field.labels.service_name} in ${traces_uid}",
        "url": '/explore?left={"datasource":"${traces_uid}","queries":[{"refId":"A",'
               '"queryType":"traceql","query":"{resource.service.name=\\"${__field.labels.service_name}\\"}"}],'
               '"range":{"from":"${__from}","to":"${__to}"}}',
        "targetBlank": True}
    b = Board("vitals-apm", "vitals / APM",
              "Request rate, errors and duration of the services whose spans reach vitals (OTLP "
              "and Zipkin), from the span metrics (spanmetrics connector names) and the service "
              "graph (Tempo's names). Exemplars link to traces: set the Prometheus data source's "
              "exemplar trace-id destination to your Tempo or Jaeger data source "
              "(provisioning/datasources/vitals.yml) and its UID in the traces_uid variable.",
              ["apm", "traces"],
              variables=[
                  query_var("service", "Service",
                            'label_values(traces_span_metrics_calls_total{job=~"$job",instance=~"$instance"}, service_name)'),
                  query_var("kind", "Span kind",
                            'label_values(traces_span_metrics_calls_total{job=~"$job",instance=~"$instance",service_name=~"$service"}, span_kind)'),
                  {"type": "textbox", "name": "traces_uid", "label": "Traces data source UID",
                   "query": "tempo", "current": {"text": "tempo", "value": "tempo"},
                   "options": [{"selected": True, "text": "tempo", "value": "tempo"}], "hide": 0,
                   "description": "UID of the Tempo or Jaeger data source that exemplars and "
                                  "trace links open."}])
    A = f'{S},service_name=~"$service",span_kind=~"$kind"'
    calls = "traces_span_metrics_calls_total"
    dur = "traces_span_metrics_duration_seconds"

    def r(metric, extra=""):
        return f"rate({metric}{{{A}{',' + extra if extra else ''}}}[{RI}])"

    err = 'status_code="STATUS_CODE_ERROR"'
    b.row("Rate, errors, duration")
    b.add(timeseries("Request rate", targets(
        (f"sum by (service_name, span_kind) ({r(calls)})", "{{service_name}} {{span_kind}}")),
        unit="reqps", links=[traces_link]), w=8)
    b.add(timeseries("Error ratio", targets(
        (ratio_or_zero(f"sum by (service_name, span_kind) ({r(calls, err)})",
                       f"sum by (service_name, span_kind) ({r(calls)})",
                       zero=f"sum by (service_name, span_kind) ({r(calls)})"),
         "{{service_name}} {{span_kind}}")),
        unit="percentunit", max_=1,
        description="Calls with status ERROR over all calls; 0 for services without errors."),
        w=8)
    b.add(timeseries("Duration p50 / p90 / p99", [
        target(f"histogram_quantile(0.50, sum by (service_name, le) ({r(dur + '_bucket')}))",
               "{{service_name}} p50", ref="A"),
        target(f"histogram_quantile(0.90, sum by (service_name, le) ({r(dur + '_bucket')}))",
               "{{service_name}} p90", ref="B"),
        target(f"histogram_quantile(0.99, sum by (service_name, le) ({r(dur + '_bucket')}))",
               "{{service_name}} p99", ref="C", exemplar=True)], unit="s",
        description="Quantiles interpolated within the --apm.buckets bounds. The dots are "
                    "exemplars: a span of that bucket, linked to its trace.",
        links=[traces_link]), w=8)
    b.add(heatmap("Duration heatmap", target(
        f"sum by (le) (increase({dur}_bucket{{{A}}}[{RI}]))", "{{le}}", exemplar=True),
        description="Calls per duration bucket (the _bucket series), exemplars on top."), w=12)
    b.add(xychart("Throughput against p99 latency (saturation)",
                  target(f"sum({r(calls)})", "requests/s", ref="A"),
                  target(f"histogram_quantile(0.99, sum by (le) ({r(dur + '_bucket')}))",
                         "p99 latency", ref="B"),
                  "requests/s", "p99 latency",
                  description="Each point is one moment: request rate (x) and p99 latency (y) "
                              "of the selected services. Latency that climbs steeply past a "
                              "rate shows where the service saturates."), w=12)

    b.row("Operations")
    b.add(table("Operations", targets(
        (f"sum by (service_name, span_name, span_kind) ({r(calls)})", ""),
        (ratio_or_zero(f"sum by (service_name, span_name, span_kind) ({r(calls, err)})",
                       f"sum by (service_name, span_name, span_kind) ({r(calls)})",
                       zero=f"sum by (service_name, span_name, span_kind) ({r(calls)})"), ""),
        (f"histogram_quantile(0.99, sum by (service_name, span_name, span_kind, le) ({r(dur + '_bucket')}))", ""),
        (f"sum by (service_name, span_name, span_kind) ({r(dur + '_sum')}) / "
         f"sum by (service_name, span_name, span_kind) ({r(dur + '_count')})", "")),
        rename={"Value #A": "req/s", "Value #B": "error ratio", "Value #C": "p99",
                "Value #D": "mean"},
        units={"Value #A": "reqps", "Value #B": "percentunit", "Value #C": "s", "Value #D": "s"}),
        w=24)
    b.add(timeseries("Errors by operation", targets(
        (f"sum by (service_name, span_name) ({r(calls, err)}) or on () vector(0)",
         "{{service_name}} {{span_name}}")), unit="reqps"), w=12)
    b.add(timeseries("Mean duration by operation", targets(
        (ratio_or_zero(f"sum by (service_name, span_name) ({r(dur + '_sum')})",
                       f"sum by (service_name, span_name) ({r(dur + '_count')})"),
         "{{service_name}} {{span_name}}")), unit="s"), w=12)

    b.row("Service graph")
    E = S
    sg = "traces_service_graph_request"
    b.add(table("Service graph edges", targets(
        (f"sum by (client, server) (rate({sg}_total{{{E}}}[{RI}]))", ""),
        (f"sum by (client, server) (rate({sg}_failed_total{{{E}}}[{RI}]))", ""),
        (f"histogram_quantile(0.99, sum by (client, server, le) (rate({sg}_server_seconds_bucket{{{E}}}[{RI}])))", ""),
        (f"histogram_quantile(0.99, sum by (client, server, le) (rate({sg}_client_seconds_bucket{{{E}}}[{RI}])))", "")),
        rename={"client": "client", "server": "server", "Value #A": "req/s",
                "Value #B": "failed/s", "Value #C": "p99 server", "Value #D": "p99 client"},
        units={"Value #A": "reqps", "Value #B": "reqps", "Value #C": "s", "Value #D": "s"},
        description="Client → server calls, paired from CLIENT and SERVER spans of the same "
                    "trace. p99 client - p99 server is roughly the network and queueing time."),
        w=24)
    b.add(timeseries("Service graph request rate", targets(
        (f"sum by (client, server) (rate({sg}_total{{{E}}}[{RI}]))", "{{client}} → {{server}}")),
        unit="reqps"), w=12)
    b.add(timeseries("Service graph failed share", targets(
        (ratio_or_zero(f"sum by (client, server) (rate({sg}_failed_total{{{E}}}[{RI}]))",
                       f"sum by (client, server) (rate({sg}_total{{{E}}}[{RI}]))",
                       zero=f"sum by (client, server) (rate({sg}_total{{{E}}}[{RI}]))"),
         "{{client}} → {{server}}")), unit="percentunit", max_=1), w=12)
    return b


def agent():
    b = Board("vitals-agent", "vitals / Agent",
              "The agent itself: scrape time per collector, failures, collector threads, "
              "APM ingestion and refusals, resources.", ["self"])
    b.row("Scrapes and collectors")
    b.add(stat("Up", targets((f"up{{{S}}}", "{{instance}}")),
               thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}]),
          w=6, h=4)
    b.add(stat("Collectors failing", targets(
        (f"count by (instance) (node_scrape_collector_success{{{S}}} == 0) "
         f"or sum by (instance) (node_scrape_collector_success{{{S}}}) * 0", "{{instance}}")),
        thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]), w=6, h=4)
    b.add(stat("Collector threads stuck", targets(
        (f"vitals_collector_threads_stuck{{{S}}}", "{{instance}}")),
        thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}]), w=6, h=4)
    b.add(table("Build", targets((f"vitals_build_info{{{S}}}", "")),
                hide=("Time", "Value", "__name__")), w=6, h=4)
    b.add(timeseries("Collector duration", targets(
        (f"node_scrape_collector_duration_seconds{{{S}}}", "{{instance}} {{collector}}")),
        unit="s", description="Per collector, per scrape (deadline --collector.timeout)."), w=12)
    b.add(timeseries("Collector success", targets(
        (f"node_scrape_collector_success{{{S}}}", "{{instance}} {{collector}}")), max_=1,
        description="1 when the collector succeeded in the last scrape."), w=12)
    b.add(timeseries("Scrape duration and samples (Prometheus' view)", targets(
        (f"scrape_duration_seconds{{{S}}}", "{{instance}} duration"),
        (f"scrape_samples_scraped{{{S}}}", "{{instance}} samples")), unit="short",
        overrides=[{"matcher": {"id": "byRegexp", "options": ".*duration"},
                    "properties": [{"id": "unit", "value": "s"},
                                   {"id": "custom.axisPlacement", "value": "right"}]}]), w=8)
    b.add(timeseries("Collector threads", targets(
        (f"vitals_collector_threads{{{S}}}", "{{instance}} threads"),
        (f"vitals_collector_threads_stuck{{{S}}}", "{{instance}} stuck"),
        (f"vitals_collector_threads_max{{{S}}}", "{{instance}} max")), unit="short"), w=8)
    b.add(timeseries("Collections", targets(
        (rate("vitals_collections_total"), "{{instance}} run"),
        (rate("vitals_collections_shared_total"), "{{instance}} joined a running one"),
        (f"sum by (instance, code) ({rate('promhttp_metric_handler_requests_total')})",
         "{{instance}} HTTP {{code}}")), unit="ops"), w=8)

    b.row("APM ingestion")
    b.add(timeseries("Spans received", targets(
        (f"sum by (instance, protocol) ({rate('vitals_apm_spans_received_total')})",
         "{{instance}} {{protocol}}")), unit="ops"), w=8)
    b.add(timeseries("Span requests by answer", targets(
        (f"sum by (instance, protocol, code) ({rate('vitals_apm_requests_total')})",
         "{{instance}} {{protocol}} {{code}}")), unit="reqps"), w=8)
    b.add(timeseries("Span request bytes", targets(
        (f"sum by (instance, protocol) ({rate('vitals_apm_request_bytes_total')})",
         "{{instance}} {{protocol}}")), unit="Bps"), w=8)
    b.add(timeseries("Refused requests and rejected spans", targets(
        (f"sum by (instance, reason) ({rate('vitals_apm_requests_refused_total')}) or on () vector(0)",
         "{{instance}} refused {{reason}}"),
        (f"sum by (instance, reason) ({rate('vitals_apm_spans_rejected_total')})",
         "{{instance}} rejected {{reason}}")), unit="ops",
        description="Refused requests (429 overloaded, 413 too large, 400, 415, 405) and "
                    "invalid spans; 0 when none."), w=8)
    b.add(timeseries("Ingestion queue", targets(
        (f"vitals_apm_ingest_queue_length{{{S}}}", "{{instance}} in progress"),
        (f"vitals_apm_ingest_queue_capacity{{{S}}}", "{{instance}} capacity")), unit="short"), w=8)
    b.add(timeseries("Span metric series and overflow", targets(
        (f"vitals_apm_series{{{S}}} / vitals_apm_max_series{{{S}}}", "{{instance}} series / max"),
        (rate("vitals_apm_overflow_spans_total"), "{{instance}} overflow spans/s"),
        (rate("vitals_apm_series_expired_total"), "{{instance}} expired/s")), unit="short"), w=8)
    b.add(timeseries("Service graph pending and dropped", targets(
        (f"vitals_apm_service_graph_pending_edges{{{S}}}", "{{instance}} pending"),
        (rate("vitals_apm_service_graph_dropped_spans_total"), "{{instance}} dropped/s"),
        (rate("vitals_apm_service_graph_expired_edges_total"), "{{instance}} expired/s")),
        unit="short"), w=24)

    b.row("Resources", collapsed=True)
    b.add(timeseries("CPU", targets((rate("process_cpu_seconds_total"), "{{instance}}")),
                     unit="percentunit"), w=8)
    b.add(timeseries("Memory", targets(
        (f"process_resident_memory_bytes{{{S}}}", "{{instance}} resident"),
        (f"process_virtual_memory_bytes{{{S}}}", "{{instance}} virtual")), unit="bytes"), w=8)
    b.add(timeseries("File descriptors", targets(
        (f"process_open_fds{{{S}}}", "{{instance}} open"),
        (f"vitals_collector_kept_open_files{{{S}}}", "{{instance}} kept open by collectors"),
        (f"process_max_fds{{{S}}}", "{{instance}} max")), unit="short"), w=8)
    return b


DASHBOARDS = {"host": host, "containers": containers, "sockets": sockets,
              "process-groups": process_groups, "apm": apm, "agent": agent}


def render():
    return {f"vitals-{name}.json": json.dumps(fn().json(), indent=2, ensure_ascii=False) + "\n"
            for name, fn in DASHBOARDS.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the committed JSON differs from what this script makes")
    args = ap.parse_args()
    files = render()
    stale = []
    for name, text in files.items():
        path = os.path.join(OUT, name)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            stale.append(name)
            if not args.check:
                os.makedirs(OUT, exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    extra = sorted(set(f for f in os.listdir(OUT) if f.endswith(".json")) - set(files)) \
        if os.path.isdir(OUT) else []
    if args.check:
        if stale or extra:
            print("out of date: " + ", ".join(stale + extra) +
                  " (run python3 packaging/grafana/generate.py)", file=sys.stderr)
            return 1
        return 0
    for name in stale:
        print(f"wrote {os.path.join(OUT, name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
