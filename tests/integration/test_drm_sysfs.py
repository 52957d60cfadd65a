"""drm against node_exporter 1.5.0 on a sysfs tree this test writes (no fixture in
node_exporter's tree has DRM devices): an amdgpu card with every file, one with some missing and
values in other bases, a card of another driver, and entries the card[0-9] glob leaves out
(a connector, a render node, card10). Both read it through --path.sysfs."""

import os
import subprocess
import tempfile
import unittest

from vitals_testlib import (Agent, family_diff, free_port, http_request, parse_exposition,
                            require_tool, wait_until)

FLAGS = ["--collector.disable-defaults", "--collector.drm"]

AMD_FULL = {
    "uevent": "DRIVER=amdgpu\nPCI_CLASS=30000\nPCI_ID=1002:687F\nPCI_SLOT_NAME=0000:0a:00.0\n",
    "gpu_busy_percent": "4\n",
    "mem_info_gtt_total": "8573157376\n",
    "mem_info_gtt_used": "144560128\n",
    "mem_info_vis_vram_total": "8573157376\n",
    "mem_info_vis_vram_used": "1490378752\n",
    "mem_info_vram_total": "8573157376\n",
    "mem_info_vram_used": "1490378752\n",
    "mem_info_vram_vendor": "samsung\n",
    "power_dpm_force_performance_level": "manual\n",
    "unique_id": "0123456789abcdef\n",
}
AMD_PARTIAL = {
    "uevent": "DRIVER=amdgpu\n",
    "gpu_busy_percent": "0x10\n",
    "mem_info_vram_total": "017\n",
    "power_dpm_force_performance_level": "auto\n",
}
OTHER = {"uevent": "DRIVER=i915\nPCI_CLASS=30000\n", "gpu_busy_percent": "50\n"}


def write_tree(root):
    cards = {"card0": AMD_FULL, "card1": OTHER, "card2": AMD_PARTIAL, "card10": AMD_FULL,
             "card0-DP-1": AMD_FULL, "renderD128": AMD_FULL}
    for card, files in cards.items():
        dev = os.path.join(root, "class", "drm", card, "device")
        os.makedirs(dev)
        for name, text in files.items():
            with open(os.path.join(dev, name), "w") as f:
                f.write(text)
    with open(os.path.join(root, "class", "drm", "version"), "w") as f:
        f.write("drm 1.1.0 20060810\n")


def drm_families(text, what):
    fams = parse_exposition(text)
    ok = fams["node_scrape_collector_success"].samples[
        ("node_scrape_collector_success", frozenset({("collector", "drm")}))]
    if ok != 1.0:
        raise AssertionError(f"drm failed in {what}")
    return {n: f for n, f in fams.items() if n.startswith("node_drm_")}


def node_exporter_scrape(*flags):
    ne = require_tool("prometheus-node-exporter", "prometheus-node-exporter")
    port = free_port()
    p = subprocess.Popen([ne, f"--web.listen-address=127.0.0.1:{port}", *flags],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: http_request(port, "/metrics", timeout=2).status == 200, timeout=20,
                   what="node_exporter up")
        return http_request(port, "/metrics").text
    finally:
        p.terminate()
        p.wait(10)


class DrmSysfs(unittest.TestCase):
    def test_same_as_node_exporter(self):
        with tempfile.TemporaryDirectory() as root:
            write_tree(root)
            sysfs = f"--path.sysfs={root}"
            with Agent(*FLAGS, sysfs) as v:
                got = drm_families(v.scrape(), "vitals:\n" + v.output())
            want = drm_families(node_exporter_scrape(*FLAGS, sysfs), "node_exporter")
        problems = []
        for name in sorted(set(got) | set(want)):
            if name not in got or name not in want:
                problems.append(f"{name}: only in {'vitals' if name in got else 'node_exporter'}")
                continue
            problems += [f"{name}: {d}" for d in family_diff(got[name], want[name])]
        self.assertEqual(problems, [])
        self.assertEqual(len(got), 8)
        busy = {dict(k[1])["card"]: v for k, v in got["node_drm_gpu_busy_percent"].samples.items()}
        self.assertEqual(busy, {"card0": 4, "card1": 0, "card2": 16})
        vram = {dict(k[1])["card"]: v
                for k, v in got["node_drm_memory_vram_size_bytes"].samples.items()}
        self.assertEqual(vram["card2"], 15)  # "017": octal, as Go's ParseUint(s, 0, 64)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
